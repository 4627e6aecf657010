"""Internet exposure as it really is: the rule, the subnet's ACL and a public address."""

from __future__ import annotations

from tests.audit.builders import Account, about, audited, tcp
from tierguard.audit.collect import collect
from tierguard.audit.findings import EXPOSURE_LATENT, EXPOSURE_REACHABLE, Level
from tierguard.audit.topology import topology_from_inventory
from tierguard.reach import analyze


def ssh_host(
    account: Account, *, public_ip: bool = True, routed: bool = True
) -> tuple[str, str, str]:
    """A subnet (routed to an internet gateway), a group with SSH open to 0.0.0.0/0, an
    instance in it: (subnet, group, instance id)."""
    subnet = account.subnet("10.0.1.0/24")
    if routed:
        account.internet_route(subnet)
    group = account.group("ssh-anywhere", tcp(22))
    instance = account.instance(subnet, [group], public_ip=public_ip)
    return subnet, group, instance


class TestAllThreeLineUp:
    def test_ssh_open_to_the_world_on_a_public_ip_is_an_error(self, account: Account) -> None:
        """Group rule, the default ACL (allow all), a public IP and an internet route."""
        _, group, instance = ssh_host(account)
        report = audited(account)
        (finding,) = about(report, EXPOSURE_REACHABLE.id, group)
        assert finding.level is Level.ERROR
        assert f"of instance {instance}" in finding.what
        assert "admin port 22 (SSH)" in finding.what
        assert "lets tcp 22 in and the replies out" in finding.what
        assert "public address" in finding.what
        assert "routed to the internet by rtb-" in finding.what
        assert not about(report, EXPOSURE_LATENT.id, group)

    def test_every_port_open_is_an_error_naming_what_gets_through(self, account: Account) -> None:
        """All traffic from 0.0.0.0/0 is every port, probed on the pack's sensitive ports."""
        subnet = account.subnet("10.0.1.0/24")
        account.internet_route(subnet)
        group = account.group("wide-open")
        account.ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )
        account.instance(subnet, [group], public_ip=True)
        (finding,) = about(audited(account), EXPOSURE_REACHABLE.id, group)
        assert "every port" in finding.what

    def test_a_public_https_port_is_not_sensitive(self, account: Account) -> None:
        """TCP 443 open to the world on a public host is what a web server does: no finding."""
        subnet = account.subnet("10.0.1.0/24")
        account.internet_route(subnet)
        group = account.group("https", tcp(443))
        account.instance(subnet, [group], public_ip=True)
        report = audited(account)
        assert not about(report, EXPOSURE_REACHABLE.id, group)
        assert not about(report, EXPOSURE_LATENT.id, group)


class TestSomethingStopsIt:
    def test_the_same_rule_behind_an_acl_deny_is_a_warning_naming_the_entry(
        self, account: Account
    ) -> None:
        """ACL rule 90 denies TCP 22 before rule 100 allows everything: first match wins."""
        subnet, group, _ = ssh_host(account)
        acl = account.acl([subnet], name="public")
        account.acl_entry(acl, 90, "deny", ports=(22, 22))
        account.acl_entry(acl, 100, "allow", protocol="-1")
        account.acl_entry(acl, 100, "allow", protocol="-1", egress=True)
        report = audited(account)
        assert not about(report, EXPOSURE_REACHABLE.id, group)
        (finding,) = about(report, EXPOSURE_LATENT.id, group)
        assert finding.level is Level.WARNING
        assert "rule #90 (deny TCP 22 0.0.0.0/0) drops it" in finding.what

    def test_an_allow_after_the_deny_does_not_reopen_it(self, account: Account) -> None:
        """Order is by rule number, not by creation: an allow numbered 80 wins over deny 90."""
        subnet, group, _ = ssh_host(account)
        acl = account.acl([subnet])
        account.acl_entry(acl, 90, "deny", ports=(22, 22))
        account.acl_entry(acl, 80, "allow", ports=(22, 22))
        account.acl_entry(acl, 100, "allow", protocol="-1", egress=True)
        assert about(audited(account), EXPOSURE_REACHABLE.id, group)

    def test_a_custom_acl_without_entries_denies_by_the_implicit_rule(
        self, account: Account
    ) -> None:
        """An ACL listing no entries still denies: the implicit deny is always applied."""
        # moto lists no ``*`` entries for a custom ACL at all; AWS always lists them.
        subnet, group, _ = ssh_host(account)
        account.acl([subnet])
        (finding,) = about(audited(account), EXPOSURE_LATENT.id, group)
        assert "the implicit deny (*) drops it" in finding.what

    def test_replies_dropped_by_the_acl_make_it_latent(self, account: Account) -> None:
        """ACLs are stateless: SSH allowed in but no egress to ephemeral ports is one-way."""
        subnet, group, _ = ssh_host(account)
        acl = account.acl([subnet])
        account.acl_entry(acl, 100, "allow", ports=(22, 22))
        (finding,) = about(audited(account), EXPOSURE_LATENT.id, group)
        assert "replies to client ports 1024-65535 are dropped" in finding.what

    def test_no_public_address_makes_it_latent(self, account: Account) -> None:
        """Without a public IP the internet cannot connect, but one is a click away."""
        _, group, _ = ssh_host(account, public_ip=False)
        report = audited(account)
        assert not about(report, EXPOSURE_REACHABLE.id, group)
        (finding,) = about(report, EXPOSURE_LATENT.id, group)
        assert "has no public IPv4 address" in finding.what

    def test_a_public_ip_without_an_internet_route_makes_it_latent(self, account: Account) -> None:
        """A public IP in a subnet not routed to an internet gateway is latent, table named."""
        subnet, group, _ = ssh_host(account, routed=False)
        report = audited(account)
        assert not about(report, EXPOSURE_REACHABLE.id, group)
        (finding,) = about(report, EXPOSURE_LATENT.id, group)
        assert f"{subnet}'s route table rtb-" in finding.what
        assert "has no IPv4 route to an internet gateway" in finding.what

    def test_a_group_used_only_by_a_load_balancer_says_the_path_was_not_checked(
        self, account: Account
    ) -> None:
        """moto creates no interface for an ALB: the rule is reported, the gap said."""
        subnets = [account.subnet("10.0.1.0/24"), account.subnet("10.0.2.0/24", zone="us-east-1b")]
        group = account.group("alb-ssh", tcp(22))
        account.load_balancer(subnets, [group])
        (finding,) = about(audited(account), EXPOSURE_LATENT.id, group)
        assert "ELBv2 load balancer web-alb" in finding.what
        assert "could not be checked" in finding.what


class TestTopology:
    def test_the_matrix_of_what_is_really_there(self, account: Account) -> None:
        """Tiers are groups keyed by id, named by tier tag; their interface's subnet ACL applies."""
        subnet = account.subnet("10.0.1.0/24")
        web = account.group("web-sg", tcp(443), tags={"tierguard:tier": "web"})
        ssh = account.group("ssh-anywhere", tcp(22))
        account.instance(subnet, [web, ssh], public_ip=True)
        acl = account.acl([subnet])
        account.acl_entry(acl, 100, "allow", ports=(443, 443))
        account.acl_entry(acl, 100, "allow", protocol="-1", egress=True)
        inventory = collect([account.region]).regions[0]
        topology = topology_from_inventory(inventory)
        assert topology.tiers["web"].group == web
        matrix = analyze(topology)
        assert {f.label for f in matrix.reach("internet-ipv4", "web").open} == {"tcp 443"}
        assert matrix.reach("internet-ipv4", "ssh-anywhere").open == ()
