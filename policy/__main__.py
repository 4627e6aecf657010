"""The tierguard policy pack's entry point: assemble the policies and serve them.

The engine starts this file with the Python of the virtualenv named in
``PulumiPolicy.yaml`` (the repository's ``.venv``), where ``tierguard`` is installed.
It serves tierguard's analyzer (``tierguard.policies.serve``): each request decoded once
for all policies, and a ``Configure`` that refuses config the policies do not declare.
"""

import gc

from pulumi_policy import PolicyPack

from tierguard.policies import ALL_POLICIES, PACK_OPTIONS
from tierguard.policies.serve import install_servicer

install_servicer()
# Each request allocates a decoded resource per resource: collect cycles in larger batches
# than Python's default (700 allocations), which rescans the heap as often as it judges.
gc.set_threshold(50_000, 20, 20)

PolicyPack(policies=ALL_POLICIES, **PACK_OPTIONS)
