"""An emulated account holding the dev stack with instances, and fake credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from tests.audit.builders import REGION, Account
from tests.conftest import PROJECT_DIR
from tests.usage.scenario import Deployed, deploy_with_instances
from tierguard.config.stackfile import load_stack
from tierguard.plan import NetworkPlan
from tierguard.program import plan_from_raw


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake keys, no config files, no instance metadata: nothing can reach real AWS."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


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
