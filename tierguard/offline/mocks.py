"""A mock engine that records what the real program registers.

``PlanMocks`` answers like the AWS provider would at the end of an update: deterministic
ids in AWS's shapes (``sg-…``, ``sgr-…``, ``acl-…``) and the computed outputs the program
reads; the ``getAvailabilityZones`` invoke gets the region's zones from the zone table.
``RecordingMonitor`` keeps, for every registration, what the mock engine's ``Mocks``
interface does not see: parent, dependencies and property dependencies, and the inputs
decoded from that very request (registrations run on several threads).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks
from pulumi.runtime.sync_await import _ensure_event_loop

from tierguard.config.zones import REGION_ZONES

# The SDK's MockMonitor is unannotated; the calls into it below are marked as such.

_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
    "aws:ec2/networkAcl:NetworkAcl": "acl-",
    "aws:ec2/networkAclRule:NetworkAclRule": "nacl-",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": "aclassoc-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
}
ACCOUNT_ID = "123456789012"
#: ``aws.get_availability_zones``: answered with the region's zones from the zone table.
GET_AVAILABILITY_ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones"


def mock_id(type_: str, name: str) -> str:
    """A stable, AWS-shaped id: the same program gives the same ids on every run."""
    digest = hashlib.sha256(f"{type_}::{name}".encode()).hexdigest()[:17]
    return f"{_ID_PREFIX.get(type_, 'id-')}{digest}"


class PlanMocks(Mocks):
    """Provider answers for the resources tierguard creates."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.unanswered: list[str] = []
        """Data sources (invokes) the program called, answered with nothing."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return "", {}
        id_ = mock_id(args.typ, args.name)
        state = dict(args.inputs)
        service = args.typ.split(":")[1].split("/")[0]
        state.setdefault("arn", f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{id_}")
        if args.typ == "aws:ec2/vpc:Vpc":
            state["defaultSecurityGroupId"] = mock_id(args.typ, f"{args.name}-default-sg")
            state["defaultNetworkAclId"] = mock_id(
                "aws:ec2/networkAcl:NetworkAcl", f"{args.name}-default"
            )
            state["mainRouteTableId"] = mock_id("aws:ec2/routeTable:RouteTable", args.name)
        elif args.typ == "aws:ec2/securityGroup:SecurityGroup":
            state["ownerId"] = ACCOUNT_ID
            state.setdefault("name", f"{args.inputs.get('namePrefix', args.name)}{id_[3:11]}")
        elif args.typ.startswith("aws:vpc/securityGroup"):
            state["securityGroupRuleId"] = id_
        return id_, state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        if args.token == GET_AVAILABILITY_ZONES:
            zones = REGION_ZONES.get(self.region, ())
            return {
                "id": self.region,
                "names": [z.name for z in zones],
                "zoneIds": [z.zone_id for z in zones],
                "groupNames": [self.region for _ in zones],
            }, []  # the SDK iterates the failures of a tuple answer: [] not None
        # A data source's answer needs AWS: offline there is none (an empty result).
        if args.token not in self.unanswered:
            self.unanswered.append(args.token)
        return {}, None


@dataclass(frozen=True)
class RecordedResource:
    """One registration as the engine would receive it."""

    urn: str
    type: str
    name: str
    id: str
    custom: bool
    parent: str | None
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    """The provider's answer (inputs plus computed attributes) for a custom resource; what
    ``register_outputs`` was given for a component (filled in when it is called)."""


def engine_value(value: Any) -> Any:
    """A deserialized value as the engine sends it on: an unknown is the sentinel string."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {key: engine_value(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [engine_value(inner) for inner in value]
    return value


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping every registration and the stack's outputs."""

    def __init__(
        self,
        mocks: Mocks,
        on_record: Callable[[RecordedResource], None] | None = None,
        *,
        on_answer: Callable[[], None] | None = None,
    ) -> None:
        """``on_record`` is called with each registration, in registration order;
        ``on_answer`` once each registration or read is answered (``InFlight``)."""
        super().__init__(mocks)
        self._on_record = on_record
        self._on_answer = on_answer
        self._lock = threading.Lock()
        self.recorded: list[RecordedResource] = []
        self.stack_urn: str | None = None
        self.stack_outputs: dict[str, Any] = {}
        self._by_urn: dict[str, RecordedResource] = {}

    def RegisterResource(self, request: Any) -> Any:
        try:
            return self._register(request)
        finally:
            if self._on_answer is not None and request.type != "pulumi:pulumi:Stack":
                self._on_answer()

    def ReadResource(self, request: Any) -> Any:
        try:
            return super().ReadResource(request)  # type: ignore[no-untyped-call]
        finally:
            if self._on_answer is not None:
                self._on_answer()

    def _register(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        _ensure_event_loop()  # type: ignore[no-untyped-call]
        inputs = rpc.deserialize_properties(request.object)
        record = RecordedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            id=response.id,
            custom=bool(request.custom),
            parent=request.parent or None,
            # The SDK gathers dependencies in sets: sorted, two runs record the same thing.
            dependencies=tuple(sorted(set(request.dependencies))),
            property_dependencies={
                key: tuple(sorted(set(value.urns)))
                for key, value in sorted(request.propertyDependencies.items())
            },
            inputs=engine_value(dict(inputs)),
            outputs=engine_value(dict(rpc.deserialize_properties(response.object)))
            if request.custom
            else {},
        )
        with self._lock:
            self.recorded.append(record)
            self._by_urn[record.urn] = record
            if self._on_record is not None:
                self._on_record(record)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        _ensure_event_loop()  # type: ignore[no-untyped-call]
        outputs = engine_value(dict(rpc.deserialize_properties(request.outputs)))
        if request.urn == self.stack_urn:
            self.stack_outputs = outputs
        else:
            with self._lock:
                record = self._by_urn.get(request.urn)
            if record is not None:
                record.outputs.update(outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]
