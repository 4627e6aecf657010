"""Which rules real traffic uses: VPC Flow Logs attributed to SG rules and ACL entries.

``flows`` is the aggregated record model; ``attribute`` decides, flow by flow, which rules
and entries admitted or dropped it with the shared semantics of ``tierguard.rules``;
``narrow`` computes the narrowest rules that still admit what was seen; ``flowlogs``
reads AWS's formats with DuckDB; ``generate`` writes realistic logs for tests and demos.
The attribution is pure: no boto3, no Pulumi.
"""
