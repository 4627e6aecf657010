"""The tierguard policy pack's entry point: assemble the policies and serve them.

The engine starts this file with the Python of the virtualenv named in
``PulumiPolicy.yaml`` (the repository's ``.venv``), where ``tierguard`` is installed.
Its ``Configure`` refuses config the policies do not declare (``tierguard.policies.serve``).
"""

from pulumi_policy import PolicyPack

from tierguard.policies import ALL_POLICIES, PACK_OPTIONS
from tierguard.policies.serve import install_config_check

install_config_check(ALL_POLICIES)

PolicyPack(policies=ALL_POLICIES, **PACK_OPTIONS)
