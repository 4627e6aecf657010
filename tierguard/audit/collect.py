"""Read an account with boto3: read-only calls, paginated, regions in parallel.

The only module of the audit that talks to AWS (groups and ACLs through the readers of
``tierguard.deployed.read``, which the driver's verification uses too). Every list call
goes through a paginator (moto ignores ``MaxResults`` and answers in one page, AWS does
not); every client uses botocore's ``standard`` retry mode, which backs off on
throttling. Regions are read concurrently, one thread each; their clients are created up
front in the calling thread (creating clients from one session is not thread-safe, using
them is).

Calls made (the IAM actions ``docs/audit.md`` lists): ``sts:GetCallerIdentity``;
``ec2:DescribeSecurityGroups``, ``DescribeSecurityGroupRules``,
``DescribeNetworkInterfaces``, ``DescribeNetworkAcls``, ``DescribeSubnets``,
``DescribeRouteTables``;
``elasticloadbalancing:DescribeLoadBalancers`` (v2 and classic); ``rds:DescribeDBInstances``,
``DescribeDBClusters``; ``lambda:ListFunctions``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.parsers
import botocore.session
from botocore.config import Config

from tierguard.deployed import shapes
from tierguard.deployed.inventory import Consumer, Inventory, RegionInventory
from tierguard.deployed.read import read_network_acls, read_security_groups
from tierguard.errors import AwsError, UsageError

if TYPE_CHECKING:
    from mypy_boto3_ec2.client import EC2Client
    from mypy_boto3_elb.client import ElasticLoadBalancingClient
    from mypy_boto3_elbv2.client import ElasticLoadBalancingv2Client
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_rds.client import RDSClient

#: Seconds to wait for a connection or an answer (``tierguard audit --timeout``).
DEFAULT_TIMEOUT = 30.0


def client_config(timeout: float = DEFAULT_TIMEOUT, *, attempts: int | None = None) -> Config:
    """Throttling is retried with backoff; connection failures a few times, then reported."""
    retries: dict[str, Any] = {"mode": "standard"}
    if attempts is not None:
        retries["max_attempts"] = attempts
    return Config(
        retries=retries,  # type: ignore[arg-type]
        connect_timeout=timeout,
        read_timeout=timeout,
        user_agent_extra="tierguard",
    )


CLIENT_CONFIG = client_config()
MAX_WORKERS = 8
_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "AuthFailure",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
}
_IAM_PREFIX = {
    "ec2": "ec2",
    "elbv2": "elasticloadbalancing",
    "elb": "elasticloadbalancing",
    "rds": "rds",
    "lambda": "lambda",
    "sts": "sts",
}


#: Service models are large JSON files; one loader per process parses each only once.
_LOADER = botocore.loaders.create_loader()


def session(profile: str | None) -> boto3.session.Session:
    """A session for ``profile`` (``None``: the default chain); a bad profile is a usage
    error, named without reading any credential."""
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    if profile is not None and profile not in core.available_profiles:
        raise UsageError(f"--profile {profile!r}: no such profile in the AWS config files")
    return boto3.session.Session(botocore_session=core, profile_name=profile)


def known_regions() -> set[str]:
    """Every region botocore knows, in every partition (aws, aws-cn, aws-us-gov, …)."""
    endpoints = _LOADER.load_data("endpoints")
    return {region for partition in endpoints["partitions"] for region in partition["regions"]}


def resolve_regions(requested: Sequence[str], base: boto3.session.Session) -> tuple[str, ...]:
    """The regions to audit: those asked for (validated), else the profile's or
    environment's region; a usage error names the problem."""
    if not requested:
        if base.region_name:
            return (base.region_name,)
        raise UsageError(
            "no region to audit: pass --region (repeatable), or set AWS_REGION or a "
            "region in the profile"
        )
    known = known_regions()
    unknown = [r for r in requested if r not in known]
    if unknown:
        raise UsageError(
            f"--region {unknown[0]!r} is not an AWS region (for example us-east-1, eu-west-1)"
        )
    return tuple(dict.fromkeys(requested))


def _action(service: str, exc: botocore.exceptions.ClientError) -> str:
    return f"{_IAM_PREFIX.get(service, service)}:{exc.operation_name}"


@contextmanager
def aws_errors(
    service: str, region: str, endpoint_url: str | None, timeout: float | None = None
) -> Iterator[None]:
    """Turn botocore's exceptions into one-line ``AwsError``s (never with credentials)."""
    where = f"{service} in {region}" + (f" at {endpoint_url}" if endpoint_url else "")
    waited = f"{timeout:g} s" if timeout is not None else "the timeout"
    try:
        yield
    except botocore.exceptions.NoCredentialsError:
        raise AwsError(
            "no AWS credentials found: pass --profile, or set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        ) from None
    except botocore.exceptions.PartialCredentialsError as exc:
        raise AwsError(
            f"incomplete AWS credentials: {exc.kwargs.get('cred_var')} is missing"
        ) from None
    except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError):
        raise AwsError(
            f"no answer from {where} within {waited}: check the network or --endpoint-url "
            "(--timeout sets how long to wait)"
        ) from None
    except (
        botocore.exceptions.EndpointConnectionError,
        botocore.exceptions.ConnectionClosedError,
    ):
        raise AwsError(f"cannot reach {where}: check the network or --endpoint-url") from None
    except botocore.parsers.ResponseParserError:
        raise AwsError(
            f"{where} answered something that is not an AWS API response (an HTML page?): "
            "check --endpoint-url"
        ) from None
    except botocore.exceptions.ClientError as exc:
        error = exc.response.get("Error", {})
        code = error.get("Code", "Unknown")
        if code in _DENIED:
            hint = (
                " (or the region is not enabled for the account)" if code == "AuthFailure" else ""
            )
            raise AwsError(
                f"access denied ({code}) calling {_action(service, exc)} in {region}: the "
                f"audit needs the read-only actions listed in docs/audit.md{hint}"
            ) from None
        message = error.get("Message", "")
        raise AwsError(
            f"{_action(service, exc)} failed in {region}: {code} {message}".strip()
        ) from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AwsError(
            f"{where}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None


class _Clients:
    def __init__(
        self,
        base: boto3.session.Session,
        region: str,
        endpoint_url: str | None,
        config: Config = CLIENT_CONFIG,
    ) -> None:
        self.region = region
        self.endpoint_url = endpoint_url
        try:
            self.ec2: EC2Client = base.client(
                "ec2", region_name=region, endpoint_url=endpoint_url, config=config
            )
            self.elbv2: ElasticLoadBalancingv2Client = base.client(
                "elbv2", region_name=region, endpoint_url=endpoint_url, config=config
            )
            self.elb: ElasticLoadBalancingClient = base.client(
                "elb", region_name=region, endpoint_url=endpoint_url, config=config
            )
            self.rds: RDSClient = base.client(
                "rds", region_name=region, endpoint_url=endpoint_url, config=config
            )
            self.lambda_: LambdaClient = base.client(
                "lambda", region_name=region, endpoint_url=endpoint_url, config=config
            )
        except ValueError as exc:  # botocore: "Invalid endpoint: …"
            raise UsageError(f"--endpoint-url {endpoint_url!r}: {exc}") from None


def _rds_groups(items: Sequence[Mapping[str, object]] | None) -> tuple[str, ...]:
    return tuple(str(g["VpcSecurityGroupId"]) for g in items or () if g.get("VpcSecurityGroupId"))


def _load_balancers(clients: _Clients) -> Iterator[Consumer]:
    for page in clients.elbv2.get_paginator("describe_load_balancers").paginate():
        for lb in page.get("LoadBalancers", []):
            yield Consumer(
                "ELBv2 load balancer",
                lb.get("LoadBalancerName", ""),
                tuple(lb.get("SecurityGroups", [])),
                public=lb.get("Scheme") == "internet-facing",
            )


def _classic_load_balancers(clients: _Clients) -> Iterator[Consumer]:
    for page in clients.elb.get_paginator("describe_load_balancers").paginate():
        for lb in page.get("LoadBalancerDescriptions", []):
            yield Consumer(
                "classic load balancer",
                lb.get("LoadBalancerName", ""),
                tuple(lb.get("SecurityGroups", [])),
                public=lb.get("Scheme") == "internet-facing",
            )


def _databases(clients: _Clients) -> Iterator[Consumer]:
    for page in clients.rds.get_paginator("describe_db_instances").paginate():
        for db in page.get("DBInstances", []):
            yield Consumer(
                "RDS instance",
                db.get("DBInstanceIdentifier", ""),
                _rds_groups(db.get("VpcSecurityGroups")),
                public=db.get("PubliclyAccessible"),
            )
    for cluster_page in clients.rds.get_paginator("describe_db_clusters").paginate():
        for cluster in cluster_page.get("DBClusters", []):
            yield Consumer(
                "RDS cluster",
                cluster.get("DBClusterIdentifier", ""),
                _rds_groups(cluster.get("VpcSecurityGroups")),
                public=cluster.get("PubliclyAccessible"),
            )


def _functions(clients: _Clients) -> Iterator[Consumer]:
    for page in clients.lambda_.get_paginator("list_functions").paginate():
        for fn in page.get("Functions", []):
            groups = tuple(fn.get("VpcConfig", {}).get("SecurityGroupIds", []))
            if groups:
                yield Consumer("Lambda function", fn.get("FunctionName", ""), groups)


def _consumers(clients: _Clients, notes: list[str]) -> list[Consumer]:
    # moto creates no ENIs for load balancers or RDS (and real AWS may have none for a
    # stopped database or an idle function), so each service's own groups are read.
    region, endpoint_url = clients.region, clients.endpoint_url
    found: list[Consumer] = []
    for service, read in (
        ("elbv2", _load_balancers),
        ("elb", _classic_load_balancers),
        ("rds", _databases),
        ("lambda", _functions),
    ):
        with aws_errors(service, region, endpoint_url):
            try:
                found.extend(read(clients))
            except botocore.exceptions.EndpointConnectionError:
                # EC2 answered, so the network works: the service has no endpoint in this
                # region (classic ELB is not offered in the newest regions).
                if endpoint_url is not None:
                    raise
                notes.append(f"{service} has no endpoint in {region}; its groups were not read")
    return found


def collect_region(clients: _Clients) -> RegionInventory:
    """Everything the findings need from one region."""
    region, endpoint_url = clients.region, clients.endpoint_url
    notes: list[str] = []
    ec2 = clients.ec2
    with aws_errors("ec2", region, endpoint_url):
        groups = read_security_groups(ec2, notes)
        interfaces = [
            shapes.network_interface(answer)
            for page in ec2.get_paginator("describe_network_interfaces").paginate()
            for answer in page.get("NetworkInterfaces", [])
        ]
        acls = read_network_acls(ec2, notes)
        subnets = [
            shapes.subnet(answer)
            for page in ec2.get_paginator("describe_subnets").paginate()
            for answer in page.get("Subnets", [])
        ]
        route_tables = [
            shapes.route_table(answer)
            for page in ec2.get_paginator("describe_route_tables").paginate()
            for answer in page.get("RouteTables", [])
        ]
    consumers = _consumers(clients, notes)
    return RegionInventory(
        region=region,
        groups=tuple(sorted(groups, key=lambda g: (g.vpc_id or "", g.name, g.id))),
        interfaces=tuple(interfaces),
        acls=tuple(acls),
        subnets=tuple(subnets),
        consumers=tuple(consumers),
        route_tables=tuple(route_tables),
        notes=tuple(notes),
    )


def account_id(
    base: boto3.session.Session,
    region: str,
    endpoint_url: str | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> str | None:
    """The account audited; also proves the credentials work before anything else runs.

    One attempt only: an endpoint that accepts connections and never answers costs
    ``timeout`` seconds, not three times that.
    """
    with aws_errors("sts", region, endpoint_url, timeout):
        sts = base.client(
            "sts",
            region_name=region,
            endpoint_url=endpoint_url,
            config=client_config(timeout, attempts=1),
        )
        try:
            return sts.get_caller_identity().get("Account")
        except KeyError:  # botocore's XML parser on a 200 answer that is no STS response
            raise botocore.parsers.ResponseParserError("not an STS response") from None


def collect(
    regions: Sequence[str] = (),
    *,
    profile: str | None = None,
    endpoint_url: str | None = None,
    max_workers: int = MAX_WORKERS,
    timeout: float = DEFAULT_TIMEOUT,
) -> Inventory:
    """Read every requested region concurrently (results in the order asked for)."""
    base = session(profile)
    chosen = resolve_regions(regions, base)
    try:
        account = account_id(base, chosen[0], endpoint_url, timeout)
    except ValueError as exc:  # botocore: "Invalid endpoint: …"
        raise UsageError(f"--endpoint-url {endpoint_url!r}: {exc}") from None

    clients = [_Clients(base, region, endpoint_url, client_config(timeout)) for region in chosen]
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(chosen)))) as pool:
        inventories = tuple(pool.map(collect_region, clients))
    return Inventory(regions=inventories, account=account)
