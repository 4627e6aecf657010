"""What is deployed: how tierguard finds, reads and judges the resources of a stack.

One concern per module, nothing imported here (the driver loads only what it uses):

* ``tags`` — the tags the components put on everything, by which it is found again;
* ``inventory`` — typed records of what a region holds (pure);
* ``shapes`` — boto3 answers into those records, through ``tierguard.rules.normalize``;
* ``read`` — the paginated EC2 readers of groups and ACLs, given a client (the audit reads
  a region, the driver's verification what a stack's tags find);
* ``compare`` — the plan against what is deployed, the one comparison behind the driver's
  verification and the audit's drift.

No module here imports boto3 at run time: clients are made by their users.
"""
