"""Load balancer → app → database, chained by security-group references, every rule a
resource of its own — both generations of the AWS provider's rule resources:

* ``aws.ec2.SecurityGroupRule`` (``type="ingress"``, ``source_security_group_id``);
* ``aws.vpc.SecurityGroupIngressRule`` / ``SecurityGroupEgressRule``
  (``referenced_security_group_id``, ``cidr_ipv4``).

Members are placed the ways real programs place them: a load balancer in two public
subnets, an instance through a network interface, a database through its subnet group.
"""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()
db_port = int(config.get("dbPort") or "5432")

vpc = aws.ec2.Vpc("shop", cidr_block="10.1.0.0/16")
public_a = aws.ec2.Subnet("public-a", vpc_id=vpc.id, cidr_block="10.1.0.0/24")
public_b = aws.ec2.Subnet("public-b", vpc_id=vpc.id, cidr_block="10.1.1.0/24")
private_a = aws.ec2.Subnet("private-a", vpc_id=vpc.id, cidr_block="10.1.10.0/24")
data_a = aws.ec2.Subnet("data-a", vpc_id=vpc.id, cidr_block="10.1.20.0/24")
data_b = aws.ec2.Subnet("data-b", vpc_id=vpc.id, cidr_block="10.1.21.0/24")

lb_sg = aws.ec2.SecurityGroup("lb", description="public load balancer", vpc_id=vpc.id)
app_sg = aws.ec2.SecurityGroup("app", description="application servers", vpc_id=vpc.id)
db_sg = aws.ec2.SecurityGroup("db", description="PostgreSQL", vpc_id=vpc.id)

# The classic rule resource: HTTPS from the world to the load balancer, and its
# egress to the app servers by group reference.
aws.ec2.SecurityGroupRule(
    "lb-https-in",
    type="ingress",
    security_group_id=lb_sg.id,
    protocol="tcp",
    from_port=443,
    to_port=443,
    cidr_blocks=["0.0.0.0/0"],
    description="HTTPS from anyone",
)
aws.ec2.SecurityGroupRule(
    "lb-to-app",
    type="egress",
    security_group_id=lb_sg.id,
    protocol="tcp",
    from_port=8080,
    to_port=8080,
    source_security_group_id=app_sg.id,
    description="to the app servers",
)
aws.ec2.SecurityGroupRule(
    "app-from-lb",
    type="ingress",
    security_group_id=app_sg.id,
    protocol="tcp",
    from_port=8080,
    to_port=8080,
    source_security_group_id=lb_sg.id,
    description="from the load balancer",
)

# The newer per-rule resources: the app may open connections to the database only.
aws.vpc.SecurityGroupEgressRule(
    "app-to-db",
    security_group_id=app_sg.id,
    ip_protocol="tcp",
    from_port=db_port,
    to_port=db_port,
    referenced_security_group_id=db_sg.id,
    description="to PostgreSQL",
)
aws.vpc.SecurityGroupIngressRule(
    "db-from-app",
    security_group_id=db_sg.id,
    ip_protocol="tcp",
    from_port=db_port,
    to_port=db_port,
    referenced_security_group_id=app_sg.id,
    description="from the app servers",
)
# A leftover: the database also accepts PostgreSQL from the whole VPC range.
aws.vpc.SecurityGroupIngressRule(
    "db-from-vpc",
    security_group_id=db_sg.id,
    ip_protocol="tcp",
    from_port=db_port,
    to_port=db_port,
    cidr_ipv4="10.1.0.0/16",
    description="legacy: PostgreSQL from the VPC",
)

aws.lb.LoadBalancer(
    "web",
    load_balancer_type="application",
    subnets=[public_a.id, public_b.id],
    security_groups=[lb_sg.id],
)
eni = aws.ec2.NetworkInterface("app-eni", subnet_id=private_a.id, security_groups=[app_sg.id])
aws.ec2.Instance(
    "app-1",
    ami="ami-0123456789abcdef0",
    instance_type="t3.small",
    network_interfaces=[
        aws.ec2.InstanceNetworkInterfaceArgs(network_interface_id=eni.id, device_index=0)
    ],
)
subnets = aws.rds.SubnetGroup("db", subnet_ids=[data_a.id, data_b.id])
aws.rds.Instance(
    "orders",
    engine="postgres",
    instance_class="db.t3.micro",
    allocated_storage=20,
    username="orders",
    manage_master_user_password=True,
    db_subnet_group_name=subnets.name,
    vpc_security_group_ids=[db_sg.id],
    port=db_port,
    skip_final_snapshot=True,
)
