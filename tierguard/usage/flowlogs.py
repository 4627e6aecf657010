"""Read VPC Flow Logs as AWS writes them, with DuckDB doing the reading and summing.

Formats: the version-2 default, and custom formats whose fields are named by a header
line (S3 delivery writes one) or given as ``${version} ${vpc-id} …`` (``--format``).
Files: plain or gzip text, and Parquet as S3 delivery writes it (field names with ``_``),
single files or directories of them. Records are summed per flow (interface, 5-tuple,
action, direction, packet addresses) inside DuckDB, so only distinct flows reach Python.

``NODATA``/``SKIPDATA`` records are counted, not attributed; a line with the wrong number
of fields, an unknown action, a non-numeric protocol, port, count or time, or an address
that is not one, is counted as malformed and skipped — never an exception.
"""

from __future__ import annotations

import functools
import gzip
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tierguard.errors import UsageError
from tierguard.usage.flows import Action, Address, Flow, parse_address

#: Every field AWS documents for flow-log records (versions 2 to 8).
KNOWN_FIELDS = (
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
    "ecs-cluster-arn",
    "ecs-cluster-name",
    "ecs-container-instance-arn",
    "ecs-container-instance-id",
    "ecs-container-id",
    "ecs-second-container-id",
    "ecs-service-name",
    "ecs-task-definition-arn",
    "ecs-task-arn",
    "ecs-task-id",
    "reject-reason",
)
DEFAULT_FORMAT = KNOWN_FIELDS[:14]
#: Without these a record cannot be attributed at all.
REQUIRED = ("srcaddr", "dstaddr", "protocol", "action")
_USED = (
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
    "flow-direction",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "tcp-flags",
)
_TEXT = (".log", ".txt", ".gz")
_PARQUET = (".parquet",)
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def parse_format(text: str) -> tuple[str, ...]:
    """``${version} ${vpc-id} …`` (as given to ``--log-format``) → the field names."""
    names = _PLACEHOLDER.findall(text)
    leftover = _PLACEHOLDER.sub("", text).strip()
    if leftover or not names:
        raise UsageError(
            f"--format {text!r}: write fields as ${{name}} separated by spaces, "
            "e.g. '${version} ${interface-id} ${srcaddr} …'"
        )
    return check_fields(names, where="--format")


def check_fields(names: Sequence[str], *, where: str) -> tuple[str, ...]:
    unknown = [n for n in names if n not in KNOWN_FIELDS]
    if unknown:
        raise UsageError(
            f"{where}: unknown flow-log field {unknown[0]!r}; valid fields: "
            + ", ".join(KNOWN_FIELDS)
        )
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise UsageError(
            f"{where}: the format lacks {', '.join(missing)}; flows cannot be attributed "
            "without source, destination, protocol and action"
        )
    return tuple(names)


@dataclass
class ReadResult:
    flows: list[Flow] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    """``lines``, ``ok``, ``nodata``, ``skipdata``, ``malformed``, ``outside_window``."""
    first: int | None = None
    last: int | None = None
    files: int = 0
    unreadable: list[str] = field(default_factory=list)
    """Files DuckDB could not read at all (truncated or damaged)."""


def find_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if source.is_dir():
        return sorted(
            p
            for p in source.rglob("*")
            if p.is_file() and (p.name.endswith(_TEXT) or p.name.endswith(_PARQUET))
        )
    raise UsageError(
        f"--flow-logs {str(source)!r} is neither a file nor a directory; give a flow-log "
        "file (.log, .log.gz, .parquet), a directory of them, s3://BUCKET/PREFIX or logs:GROUP"
    )


def _first_line(path: Path) -> str:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            return handle.readline().strip()
    except (OSError, EOFError) as exc:
        raise UsageError(f"--flow-logs: cannot read {str(path)!r}: {exc}") from None


def _header(path: Path) -> tuple[str, ...] | None:
    """The fields a header line names (``None``: the file starts with a record)."""
    words = _first_line(path).split()
    if words and all(w in KNOWN_FIELDS for w in words):
        return check_fields(words, where=f"the header of {path}")
    return None


def _sql_list(paths: Iterable[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _text_relation(paths: Sequence[Path], fields: Sequence[str], header: bool) -> str:
    """A SELECT giving the used fields as text (NULL for ``-`` or absent), plus ``n`` (the
    number of fields the line had) and ``expected``."""
    columns = []
    for name in _USED:
        if name in fields:
            i = fields.index(name) + 1
            columns.append(f"nullif(f[{i}], '-') AS \"{name}\"")
        else:
            columns.append(f'NULL::VARCHAR AS "{name}"')
    return (
        f"SELECT len(f) = {len(fields)} AS well_formed, {', '.join(columns)} FROM ("
        "SELECT string_split(trim(line), ' ') AS f FROM read_csv("
        f"{_sql_list(paths)}, columns={{'line': 'VARCHAR'}}, delim='\\x01', "
        f"header={'true' if header else 'false'}, quote='', escape='', auto_detect=false, "
        "strict_mode=false, null_padding=true, compression='auto') "
        "WHERE trim(line) <> '')"
    )


def _parquet_relation(paths: Sequence[Path], con: duckdb.DuckDBPyConnection) -> str:
    present = {
        row[0]
        for row in con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({_sql_list(paths)}, union_by_name=true)"
        ).fetchall()
    }
    columns = []
    for name in _USED:
        column = name.replace("-", "_")
        if column in present:
            columns.append(f'nullif(CAST("{column}" AS VARCHAR), \'-\') AS "{name}"')
        else:
            columns.append(f'NULL::VARCHAR AS "{name}"')
    missing = [n for n in REQUIRED if n.replace("-", "_") not in present]
    if missing:
        raise UsageError(f"--flow-logs: the Parquet files lack {', '.join(missing)}")
    return (
        f"SELECT true AS well_formed, {', '.join(columns)} "
        f"FROM read_parquet({_sql_list(paths)}, union_by_name=true)"
    )


#: One query definition: classify each record, then sum the good ones per flow.
_AGGREGATE = """
WITH raw AS ({relation}),
typed AS (
  SELECT *,
    TRY_CAST(protocol AS INTEGER) AS proto,
    TRY_CAST(srcport AS INTEGER) AS sport,
    TRY_CAST(dstport AS INTEGER) AS dport,
    TRY_CAST(packets AS BIGINT) AS npackets,
    TRY_CAST(bytes AS BIGINT) AS nbytes,
    TRY_CAST("start" AS BIGINT) AS t0,
    TRY_CAST("end" AS BIGINT) AS t1,
    TRY_CAST("tcp-flags" AS INTEGER) AS flags
  FROM raw
),
classified AS (
  SELECT *,
    CASE
      WHEN NOT well_formed THEN 'malformed'
      WHEN "log-status" = 'NODATA' THEN 'nodata'
      WHEN "log-status" = 'SKIPDATA' THEN 'skipdata'
      WHEN "log-status" IS NOT NULL AND "log-status" <> 'OK' THEN 'malformed'
      WHEN action NOT IN ('ACCEPT', 'REJECT') OR action IS NULL THEN 'malformed'
      WHEN srcaddr IS NULL OR dstaddr IS NULL OR proto IS NULL
        OR proto NOT BETWEEN 0 AND 255 THEN 'malformed'
      WHEN (srcport IS NOT NULL AND (sport IS NULL OR sport NOT BETWEEN 0 AND 65535))
        OR (dstport IS NOT NULL AND (dport IS NULL OR dport NOT BETWEEN 0 AND 65535))
        OR (packets IS NOT NULL AND npackets IS NULL)
        OR (bytes IS NOT NULL AND nbytes IS NULL)
        OR ("start" IS NOT NULL AND t0 IS NULL)
        OR ("end" IS NOT NULL AND t1 IS NULL)
        OR ("tcp-flags" IS NOT NULL AND flags IS NULL) THEN 'malformed'
      WHEN {window} THEN 'outside_window'
      ELSE 'ok'
    END AS status
  FROM typed
)
SELECT status, "interface-id", srcaddr, dstaddr, sport, dport, proto, action,
  "flow-direction", "pkt-srcaddr", "pkt-dstaddr", bit_or(flags),
  count(*), sum(npackets), sum(nbytes), min(t0), max(t1)
FROM classified
GROUP BY ALL
"""


def _window(since: int | None, until: int | None) -> str:
    """Records overlapping ``[since, until]`` are inside (a record spans its window)."""
    parts = []
    if since is not None:
        parts.append(f"coalesce(t1, t0) < {int(since)}")
    if until is not None:
        parts.append(f"coalesce(t0, t1) > {int(until)}")
    return " OR ".join(parts) or "false"


@functools.lru_cache(maxsize=1 << 20)
def _parsed(text: str) -> Address:
    """Addresses repeat across flows: parse each spelling once."""
    return parse_address(text)


def _address(text: str | None) -> Address | None:
    return None if text is None else _parsed(text)


def read(
    source: Path,
    *,
    fields: Sequence[str] | None = None,
    since: int | None = None,
    until: int | None = None,
    memory_limit: str = "1GB",
) -> ReadResult:
    """Read every flow-log file of ``source`` into summed flows and counts.

    ``fields`` (from ``--format``) applies to files without a header line; without it
    such files are read as the default format.
    """
    files = find_files(source)
    result = ReadResult(files=len(files))
    groups: dict[tuple[tuple[str, ...], bool], list[Path]] = {}
    parquet = [p for p in files if p.name.endswith(_PARQUET)]
    for path in files:
        if path.name.endswith(_PARQUET):
            continue
        named = _header(path)
        key: tuple[tuple[str, ...], bool] = (
            (named, True) if named is not None else (tuple(fields or DEFAULT_FORMAT), False)
        )
        groups.setdefault(key, []).append(path)
    con = duckdb.connect(config={"memory_limit": memory_limit, "threads": 2})
    try:
        window = _window(since, until)
        for (names, header), paths in groups.items():
            text = functools.partial(_text_relation, fields=names, header=header)
            _run(con, paths, text, window, result)
        if parquet:
            _run(con, parquet, functools.partial(_parquet_relation, con=con), window, result)
    finally:
        con.close()
    return result


def _run(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    relation: Callable[[Sequence[Path]], str],
    window: str,
    result: ReadResult,
) -> None:
    """Read files together; when that fails (a truncated gzip stream, a damaged Parquet
    footer) read them one by one and count the ones that cannot be read."""
    try:
        cursor = con.execute(_AGGREGATE.format(relation=relation(paths), window=window))
        collect_rows(_batches(cursor), result)
        return
    except duckdb.Error:
        if len(paths) == 1:
            result.unreadable.append(f"{paths[0]}")
            return
    for path in paths:
        _run(con, [path], relation, window, result)


def _batches(cursor: duckdb.DuckDBPyConnection, size: int = 100_000) -> Iterator[tuple[Any, ...]]:
    """The aggregate's rows a batch at a time: never all of them as Python tuples at once."""
    while rows := cursor.fetchmany(size):
        yield from rows


def collect_rows(rows: Iterable[tuple[object, ...]], result: ReadResult) -> None:
    """Rows of the aggregation (this module's or ``athena.QUERY``) into ``result``."""
    for row in rows:
        (status, eni, src, dst, sport, dport, proto, action, direction, psrc, pdst, flags,
         count, packets, size, t0, t1) = row  # fmt: skip
        records = int(count)  # type: ignore[call-overload]
        result.counts["lines"] += records
        if status != "ok":
            result.counts[str(status)] += records
            continue
        try:
            src_address = _parsed(str(src))
            dst_address = _parsed(str(dst))
            pkt_src = _address(psrc)  # type: ignore[arg-type]
            pkt_dst = _address(pdst)  # type: ignore[arg-type]
        except ValueError:
            result.counts["malformed"] += records
            continue
        result.counts["ok"] += records
        if isinstance(t0, int):
            result.first = t0 if result.first is None else min(result.first, t0)
        if isinstance(t1, int):
            result.last = t1 if result.last is None else max(result.last, t1)
        result.flows.append(
            Flow(
                src=src_address,
                dst=dst_address,
                protocol=int(proto),  # type: ignore[call-overload]
                action=Action(str(action)),
                src_port=sport,  # type: ignore[arg-type]
                dst_port=dport,  # type: ignore[arg-type]
                interface_id=eni,  # type: ignore[arg-type]
                ingress=None if direction is None else direction == "ingress",
                pkt_src=None if pkt_src == src_address else pkt_src,
                pkt_dst=None if pkt_dst == dst_address else pkt_dst,
                tcp_flags=flags,  # type: ignore[arg-type]
                records=records,
                packets=int(packets or 0),  # type: ignore[call-overload]
                bytes=int(size or 0),  # type: ignore[call-overload]
            )
        )
