"""Reading flow logs as AWS writes them (DuckDB), then attributing what was read.

Lines are produced by the generator in AWS's documented formats, plus hand-written
records from AWS's documentation examples and deliberately damaged lines.
"""

from __future__ import annotations

import gzip
import ipaddress
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tests.usage.scenario import Deployed, dev_intents
from tests.usage.test_usage_attribution import expected_hits
from tierguard.errors import UsageError
from tierguard.usage.attribute import Network, attribute
from tierguard.usage.flowlogs import parse_format, read
from tierguard.usage.generate import DEFAULT_FIELDS, idle, records, write_log
from tierguard.usage.verdicts import usage_report

CUSTOM = (
    "version", "vpc-id", "subnet-id", "interface-id", "flow-direction", "srcaddr", "dstaddr",
    "pkt-srcaddr", "pkt-dstaddr", "srcport", "dstport", "protocol", "tcp-flags", "packets",
    "bytes", "start", "end", "action", "log-status", "type",
)  # fmt: skip

#: AWS's documented examples (flow-logs-records-examples): SSH accepted, RDP rejected,
#: a NODATA record.
AWS_EXAMPLES = [
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
    "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK",
    "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
]


def hits_through_files(dev: Deployed, source: Path, **kwargs: object) -> dict[str, int]:
    result = read(source, **kwargs)  # type: ignore[arg-type]
    network = Network(dev.inventory)
    report = usage_report(network, attribute(network, result.flows), (None, None))
    return {r.rule_id: r.use.records for r in report.rules if r.use.records}


def test_aws_documented_examples_are_read_as_documented(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text("\n".join(AWS_EXAMPLES) + "\n")
    result = read(path)
    assert result.counts == Counter(lines=3, ok=2, nodata=1)
    ssh, rdp = sorted(result.flows, key=lambda f: f.dst_port or 0)
    assert (str(ssh.src), ssh.dst_port, ssh.protocol, ssh.action.value) == (
        "172.31.16.139",
        22,
        6,
        "ACCEPT",
    )
    assert (ssh.packets, ssh.bytes, ssh.interface_id) == (20, 4249, "eni-1235b8ca123456789")
    assert (rdp.dst_port, rdp.action.value) == (3389, "REJECT")
    assert (result.first, result.last) == (1418530010, 1418530070)


def test_default_format_gzip_with_header_attributes_as_intended(
    dev: Deployed, tmp_path: Path
) -> None:
    found = records(dev_intents(dev), seed=21)
    write_log(tmp_path / "logs" / "a.log.gz", found[: len(found) // 2])
    write_log(tmp_path / "logs" / "nested" / "b.log.gz", found[len(found) // 2 :])
    assert hits_through_files(dev, tmp_path / "logs") == dict(expected_hits(dev, found))


def test_custom_format_by_header_and_by_flag_read_alike(dev: Deployed, tmp_path: Path) -> None:
    found = records(dev_intents(dev), seed=22)
    write_log(tmp_path / "h" / "a.log.gz", found, CUSTOM)
    write_log(tmp_path / "n" / "a.log", found, CUSTOM, header=False)
    by_header = read(tmp_path / "h")
    fmt = " ".join("${" + f + "}" for f in CUSTOM)
    by_flag = read(tmp_path / "n", fields=parse_format(fmt))
    assert by_header.counts["ok"] == by_flag.counts["ok"] == len(found)
    assert sorted(map(repr, by_header.flows)) == sorted(map(repr, by_flag.flows))
    assert {f.ingress for f in by_header.flows} == {True, False}  # flow-direction read
    assert {f.tcp_flags for f in by_header.flows} == {2, 18}
    assert hits_through_files(dev, tmp_path / "h") == dict(expected_hits(dev, found))


def test_records_of_one_flow_are_summed(tmp_path: Path) -> None:
    line = "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 {p} {b} {t} {u} ACCEPT OK"
    path = tmp_path / "x.log"
    path.write_text(
        "\n".join(line.format(p=p, b=p * 100, t=100 * p, u=100 * p + 60) for p in (1, 2, 3)) + "\n"
    )
    (flow,) = read(path).flows
    assert (flow.records, flow.packets, flow.bytes) == (3, 6, 600)


def test_nodata_skipdata_malformed_and_truncated_are_counted_never_raised(tmp_path: Path) -> None:
    good = "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 5 500 100 160 ACCEPT OK"
    lines = [
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status",
        good,
        "2 1 eni-a - - - - - - - 100 160 - NODATA",
        "2 1 eni-a - - - - - - - 100 160 - SKIPDATA",
        "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 5 500 100 160 ALLOW OK",  # unknown action
        "2 1 eni-a 10.0.0.1 10.0.0.2 40000 99999 6 5 500 100 160 ACCEPT OK",  # port
        "2 1 eni-a 300.0.0.1 10.0.0.2 40000 443 6 5 500 100 160 ACCEPT OK",  # address
        "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 tcp 5 500 100 160 ACCEPT OK",  # protocol
        'garbage "with quotes\\ and \t tabs',
        "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 5 500 100 160 ACCEPT OK extra",
        "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 5 50",  # truncated
    ]
    path = tmp_path / "x.log.gz"
    with gzip.open(path, "wt") as out:
        out.write("\n".join(lines))
    result = read(path)
    assert result.counts == Counter(lines=10, ok=1, nodata=1, skipdata=1, malformed=7)
    assert len(result.flows) == 1


def test_a_truncated_gzip_file_is_reported_and_the_others_read(tmp_path: Path) -> None:
    good = "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 5 500 100 160 ACCEPT OK\n" * 2000
    (tmp_path / "ok.log.gz").write_bytes(gzip.compress(good.encode()))
    damaged = gzip.compress(good.encode())
    (tmp_path / "cut.log.gz").write_bytes(damaged[: len(damaged) // 2])
    result = read(tmp_path)
    assert result.counts["ok"] == 2000
    assert [Path(p).name for p in result.unreadable] == ["cut.log.gz"]


def test_ipv6_and_icmp_records(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text(
        "2 1 eni-a 2001:DB8:0:0:0:0:0:1 2001:db8::2 40000 443 6 5 500 100 160 ACCEPT OK\n"
        "2 1 eni-a 10.0.0.1 10.0.0.2 0 0 1 5 500 100 160 ACCEPT OK\n"
        "2 1 eni-a 2001:db8::1 2001:db8::2 0 0 58 5 500 100 160 REJECT OK\n"
    )
    flows = sorted(read(path).flows, key=lambda f: f.protocol)
    assert [f.protocol for f in flows] == [1, 6, 58]
    assert flows[1].src == ipaddress.ip_address("2001:db8::1")


def test_window_excludes_records_outside_it(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    line = "2 1 eni-a 10.0.0.1 10.0.0.2 40000 443 6 5 500 {t} {u} ACCEPT OK"
    path.write_text("\n".join(line.format(t=t, u=t + 60) for t in (100, 1000, 5000)) + "\n")
    result = read(path, since=900, until=2000)
    assert result.counts == Counter(lines=3, ok=1, outside_window=2)


def test_parquet_as_s3_delivery_writes_it_reads_like_text(dev: Deployed, tmp_path: Path) -> None:
    found = records(dev_intents(dev), seed=23)
    text = write_log(tmp_path / "t.log", found, CUSTOM)
    columns = ", ".join(
        f"column{i:02d} AS {name.replace('-', '_')}" for i, name in enumerate(CUSTOM)
    )
    (tmp_path / "p").mkdir()
    duckdb.sql(
        f"COPY (SELECT {columns} FROM read_csv('{text}', delim=' ', header=false, skip=1, "
        f"all_varchar=true)) TO '{tmp_path / 'p' / 'a.parquet'}' (FORMAT parquet)"
    )
    assert sorted(map(repr, read(tmp_path / "p").flows)) == sorted(map(repr, read(text).flows))


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("${version} ${srcaddr} ${bogus}", "unknown flow-log field 'bogus'"),
        ("${version} ${srcaddr} ${dstaddr}", "lacks protocol, action"),
        ("version srcaddr", "write fields as ${name}"),
    ],
)
def test_bad_formats_are_refused_by_name(fmt: str, message: str) -> None:
    with pytest.raises(
        UsageError, match=message.replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")
    ):
        parse_format(fmt)


def test_idle_interfaces_write_nodata_records(tmp_path: Path) -> None:
    path = write_log(
        tmp_path / "x.log",
        [idle("eni-a", start=100), idle("eni-b", start=100, status="SKIPDATA")],
        DEFAULT_FIELDS,
    )
    assert read(path).counts == Counter(lines=2, nodata=1, skipdata=1)
