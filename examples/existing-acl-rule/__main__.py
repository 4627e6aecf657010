"""Network ACLs the ways programs write them:

* a managed ACL with inline ``ingress``/``egress`` entries, associated with the web
  subnet through a ``NetworkAclAssociation``;
* a ``NetworkAclRule`` added to that ACL (deny SSH ahead of everything);
* a ``NetworkAclRule`` added to an ACL that exists already and that this program does not
  manage (``network_acl_id="acl-0123…"``), opening SSH to the whole internet.
"""

import pulumi_aws as aws

vpc = aws.ec2.Vpc("edge", cidr_block="10.2.0.0/16")
web_a = aws.ec2.Subnet("web-a", vpc_id=vpc.id, cidr_block="10.2.1.0/24")

web = aws.ec2.SecurityGroup(
    "web",
    description="web servers",
    vpc_id=vpc.id,
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_blocks=["0.0.0.0/0"],
            description="HTTPS from anyone",
        ),
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp",
            from_port=22,
            to_port=22,
            cidr_blocks=["0.0.0.0/0"],
            description="SSH, meant to be closed by the network ACL",
        ),
    ],
)
aws.ec2.Instance(
    "web-1",
    ami="ami-0123456789abcdef0",
    instance_type="t3.small",
    subnet_id=web_a.id,
    vpc_security_group_ids=[web.id],
)

acl = aws.ec2.NetworkAcl(
    "web",
    vpc_id=vpc.id,
    ingress=[
        aws.ec2.NetworkAclIngressArgs(
            rule_no=100,
            action="allow",
            protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_block="0.0.0.0/0",
        ),
        aws.ec2.NetworkAclIngressArgs(
            rule_no=110,
            action="allow",
            protocol="tcp",
            from_port=22,
            to_port=22,
            cidr_block="0.0.0.0/0",
        ),
    ],
    egress=[
        aws.ec2.NetworkAclEgressArgs(
            rule_no=100,
            action="allow",
            protocol="tcp",
            from_port=1024,
            to_port=65535,
            cidr_block="0.0.0.0/0",
        ),
    ],
)
aws.ec2.NetworkAclAssociation("web-a", network_acl_id=acl.id, subnet_id=web_a.id)
aws.ec2.NetworkAclRule(
    "deny-ssh",
    network_acl_id=acl.id,
    rule_number=90,
    egress=False,
    protocol="tcp",
    rule_action="deny",
    cidr_block="0.0.0.0/0",
    from_port=22,
    to_port=22,
)

# An entry on an ACL created outside this program (by another team, or by hand).
aws.ec2.NetworkAclRule(
    "legacy-ssh",
    network_acl_id="acl-0123456789abcdef0",
    rule_number=100,
    egress=False,
    protocol="tcp",
    rule_action="allow",
    cidr_block="0.0.0.0/0",
    from_port=22,
    to_port=22,
)
