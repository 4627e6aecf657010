"""An emulated account holding the dev stack with instances; the audit's fake credentials."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from tests.audit.builders import REGION, Account
from tests.audit.conftest import _fake_credentials  # noqa: F401  (autouse: no real AWS)
from tests.conftest import PROJECT_DIR
from tests.usage.scenario import Deployed, deploy_with_instances
from tierguard.config.stackfile import load_stack
from tierguard.plan import NetworkPlan
from tierguard.program import plan_from_raw


@pytest.fixture(name="dev_plan", scope="session")
def _dev_plan() -> NetworkPlan:
    doc = load_stack(PROJECT_DIR, "dev")
    return plan_from_raw(doc.config["tierguard:network"], region=REGION, stack="dev")


@pytest.fixture(name="account")
def _account() -> Iterator[Account]:
    with mock_aws():
        yield Account()


@pytest.fixture(name="dev")
def _dev(account: Account, dev_plan: NetworkPlan) -> Deployed:
    """The dev stack in moto: groups, rules, ACLs, two instances per tier."""
    return deploy_with_instances(account, dev_plan)
