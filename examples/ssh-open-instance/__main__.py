"""A typical first Pulumi AWS program: a VPC, a public subnet, a group with inline rules
that open SSH (22) and the Kubernetes API (6443) to the whole internet, and an instance.

Hand-written without tierguard's components: ``tierguard preview --offline -C`` checks it
with the policy pack and ``tierguard reach -C`` says who can reach the instance.
"""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()

vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16", enable_dns_hostnames=True)
subnet = aws.ec2.Subnet(
    "public-a",
    vpc_id=vpc.id,
    cidr_block="10.0.1.0/24",
    availability_zone="us-east-1a",
    map_public_ip_on_launch=True,
)
node = aws.ec2.SecurityGroup(
    "k8s-node",
    description="Kubernetes node",
    vpc_id=vpc.id,
    ingress=[
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp", from_port=22, to_port=22, cidr_blocks=["0.0.0.0/0"]
        ),
        aws.ec2.SecurityGroupIngressArgs(
            protocol="tcp", from_port=6443, to_port=6443, cidr_blocks=["0.0.0.0/0"]
        ),
    ],
    egress=[
        aws.ec2.SecurityGroupEgressArgs(
            protocol="-1", from_port=0, to_port=0, cidr_blocks=["0.0.0.0/0"]
        )
    ],
)
server = aws.ec2.Instance(
    "k8s-control-plane",
    ami="ami-0123456789abcdef0",
    instance_type=config.get("instanceType") or "t3.small",
    subnet_id=subnet.id,
    vpc_security_group_ids=[node.id],
)

pulumi.export("publicIp", server.public_ip)
