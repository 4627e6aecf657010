"""Reading ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` the way the Pulumi CLI would.

Only what tierguard needs: the project name, the stack's ``config:`` map, and errors a
person can act on (a missing stack file lists the stacks that exist; YAML errors carry
line and column; a duplicated key is an error, never "last one wins").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    CParser = None  # type: ignore[misc,assignment]

from tierguard.config.textfile import read_text
from tierguard.errors import ConfigError, Problem

PROJECT_FILE = "Pulumi.yaml"


#: Deepest nesting accepted; tierguard's deepest path is 6 levels under ``config:``.
MAX_DEPTH = 64
#: Most values a document may expand to once aliases are followed (the dev stack has ~200).
MAX_NODES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_CANONICAL_INT = re.compile(r"^-?(?:0|[1-9][0-9]*)$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that resolves plain scalars as the Pulumi CLI does, and refuses doubt.

    The CLI reads stack files with go-yaml v3 (YAML 1.2 rules, ``resolve.go``): only
    ``true``/``false`` (any case style) are booleans, ``yes``/``on``/``off`` are text, there
    are no base-60 numbers (dates stay text: no tierguard key takes one). Where YAML
    readers disagree on a number (go-yaml still reads ``0443`` as octal and ``8_080`` as
    8080; YAML 1.1 reads ``20:21`` as 1221) the value is refused, named, with the spelling
    to use. Duplicated keys are errors, never "last one wins"; a merge (``<<:``) may be
    overridden.
    """


_StrictLoader.yaml_implicit_resolvers = {}  # only the YAML 1.2 forms below, not YAML 1.1's


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0[xob][0-9a-fA-F_]+|[0-9][0-9_]*)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    (_MERGE_TAG, r"^<<$", "<"),
):
    _StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _refuse(node: yaml.Node, problem: str) -> NoReturn:
    raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


def _pulumi_int(text: str) -> int:
    """What go-yaml v3 makes of an integer-looking plain scalar (``strconv.ParseInt(s, 0)``)."""
    plain = text.replace("_", "")
    sign, digits = (-1, plain[1:]) if plain.startswith("-") else (1, plain.lstrip("+"))
    if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
        return sign * int(digits, 8)
    return sign * int(digits, 0)


def _construct_int(loader: _StrictLoader, node: yaml.ScalarNode) -> int:
    text = str(node.value)
    if _CANONICAL_INT.match(text):
        return int(text)
    try:
        value = _pulumi_int(text)
    except ValueError:
        _refuse(node, f"{text!r} is not a number; write a decimal number or quote the text")
    meant = value
    if "_" in text:
        why = f"the Pulumi CLI reads {value}, YAML 1.2 reads the text {text!r}"
    elif text.lstrip("+-")[:2].lower() in ("0x", "0o", "0b"):
        why = f"the Pulumi CLI reads {value}, YAML 1.1 readers the text {text!r}"
    elif text.lstrip("+-").startswith("0"):
        meant = int(text, 10)
        why = f"the Pulumi CLI reads it as octal {value}, YAML 1.2 as {meant}"
    else:
        why = "numbers are written without a sign"
    _refuse(
        node,
        f"{text!r} is ambiguous ({why}); write the decimal number you mean (e.g. {meant}), "
        "or quote it if it is text",
    )


def _construct_str(loader: _StrictLoader, node: yaml.ScalarNode) -> str:
    text = str(node.value)
    if not node.style and _SEXAGESIMAL.match(text):  # plain: None (Python), "" (libyaml)
        _refuse(
            node,
            f"{text!r} is a base-60 number to YAML 1.1 readers and text to the Pulumi CLI; "
            "write a port range as 'FROM-TO' (quoted), or quote the text",
        )
    return text


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            kind = "list" if isinstance(key_node, yaml.SequenceNode) else "mapping"
            _refuse(key_node, f"a {kind} cannot be a key; keys are names or numbers")
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            _refuse(
                key_node,
                f"duplicate key {key!r} (first defined on line {first}); "
                "every tier, ACL and key must be named once",
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_StrictLoader.add_constructor("tag:yaml.org,2002:str", _construct_str)
_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_StrictLoader.yaml_constructors = {
    tag: constructor
    for tag, constructor in _StrictLoader.yaml_constructors.items()
    if tag is None
    or tag.rsplit(":", 1)[-1] in ("null", "bool", "int", "float", "str", "seq", "map")
}


def _loaders() -> tuple[type[_StrictLoader], ...]:
    """``_StrictLoader``'s resolvers and constructors on libyaml's parser (PyYAML's C
    extension) first: the same documents, several times faster to read. Its error messages
    are worded differently, so a document it refuses is read again by ``_StrictLoader``;
    where PyYAML was built without libyaml, ``_StrictLoader`` reads everything."""
    if CParser is None:
        return (_StrictLoader,)

    class _FastStrictLoader(CParser, _StrictLoader):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    return (_FastStrictLoader, _StrictLoader)


_LOADERS = _loaders()


def _check_depth(text: str, loader: type[_StrictLoader]) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` from the event stream (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark: Any = event.start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"nested more than {MAX_DEPTH} levels deep; tierguard's config "
                    "is a few levels deep",
                    problem_mark=mark,
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse documents whose aliases expand past ``MAX_NODES`` values, or refer to
    themselves (go-yaml v3 refuses both: "excessive aliasing", "anchor … contains itself")."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in sizes:
            continue
        if expanded:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in _children(node))
            if sizes[id(node)] > MAX_NODES:
                raise yaml.MarkedYAMLError(
                    problem=f"expands to more than {MAX_NODES:,} values through its aliases "
                    "(*name); write the values out or use fewer aliases",
                    problem_mark=node.start_mark,
                )
            continue
        if id(node) in open_nodes:
            raise yaml.MarkedYAMLError(
                problem="an alias refers to a value that contains it",
                problem_mark=node.start_mark,
            )
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in sizes)


def parse_yaml(text: str) -> Any:
    """Parse one YAML document under the bounds above; raises ``yaml.YAMLError``, worded
    by the pure-Python reader whichever loader found the problem first."""
    *fast, reference = _LOADERS
    for loader in fast:
        try:
            return _parse_with(loader, text)
        except yaml.YAMLError:
            break
    return _parse_with(reference, text)


def _parse_with(loader_type: type[_StrictLoader], text: str) -> Any:
    _check_depth(text, loader_type)
    loader = loader_type(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(path: Path) -> Any:
    """Load one YAML file strictly; problems name the file, line and column."""
    text = read_text(path, what="YAML file")
    try:
        return parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        what = exc.problem or exc.context or "invalid YAML"
        raise ConfigError([Problem(where, f"YAML error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(str(path), f"YAML error: {exc}")]) from None


def _path_parts(config_path: str) -> list[str | int]:
    """``tiers.web.ingress[1].cidr`` → ``['tiers', 'web', 'ingress', 1, 'cidr']``."""
    parts: list[str | int] = []
    for piece in config_path.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            parts.append(int(index))
            rest = rest.removeprefix("[")
    return parts


@lru_cache(maxsize=4)
def _composed(text: str) -> yaml.Node | None:
    """The document's node tree (``locate`` asks it once per finding)."""
    *fast, reference = _LOADERS
    for loader in fast:
        try:
            _check_depth(text, loader)
            return yaml.compose(text, Loader=loader)
        except yaml.YAMLError:
            break
    _check_depth(text, reference)
    return yaml.compose(text, Loader=reference)


def locate(path: Path, key: str, config_path: str) -> tuple[int, int] | None:
    """Line and column (1-based) where ``config_path`` under config ``key`` is written.

    Walks as deep as the file goes, so a path into generated values (an automatic rule)
    points at the rule that implied it. ``None`` if the file cannot be read.
    """
    try:
        node = _composed(read_text(path))
    except (ConfigError, yaml.YAMLError):
        return None
    best: yaml.Node | None = None
    for part in ["config", key, *_path_parts(config_path)]:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if 0 <= part < len(node.value) else None
        if child is None:
            break
        best = node = child
    if best is None:
        return None
    return best.start_mark.line + 1, best.start_mark.column + 1


@dataclass(frozen=True)
class StackFile:
    """A stack's settings as the engine would hand them to the program."""

    project: str
    stack: str
    path: Path
    config: dict[str, Any]

    def engine_config(self) -> dict[str, str]:
        """Config as the engine passes it to a program: ``ns:key`` → string (objects as
        JSON); a key without a namespace belongs to the project, as the CLI reads it."""
        return {
            key if ":" in key else f"{self.project}:{key}": (
                value if isinstance(value, str) else json.dumps(value)
            )
            for key, value in self.config.items()
        }


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``Pulumi.yaml``."""
    for candidate in (start, *start.parents):
        try:
            if (candidate / PROJECT_FILE).is_file():
                return candidate
        except OSError as exc:  # a name too long for the file system, …
            raise ConfigError(
                [Problem(str(start)[:80], f"cannot be used: {exc.strerror}")]
            ) from None
    raise ConfigError(
        [Problem(str(start), f"no {PROJECT_FILE} here or above; run inside the project")]
    )


def available_stacks(project_dir: Path) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))


def project_name(project_dir: Path) -> str:
    """The ``name:`` of the project's ``Pulumi.yaml``."""
    project_doc = load_yaml(project_dir / PROJECT_FILE)
    if not isinstance(project_doc, dict) or not isinstance(project_doc.get("name"), str):
        raise ConfigError([Problem(str(project_dir / PROJECT_FILE), "needs a 'name:' string")])
    return str(project_doc["name"])


def load_project(project_dir: Path, stack: str) -> StackFile:
    """A stack with no stack file (no config set yet), as Pulumi runs it."""
    path = project_dir / f"Pulumi.{stack}.yaml"
    return StackFile(project=project_name(project_dir), stack=stack, path=path, config={})


def load_stack(project_dir: Path, stack: str) -> StackFile:
    """Read the project name and the stack's config, with actionable errors."""
    project = project_name(project_dir)
    path = project_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        stacks = available_stacks(project_dir)
        known = ", ".join(stacks) if stacks else "none"
        raise ConfigError(
            [Problem(str(path), f"no such stack file for stack {stack!r}; stacks here: {known}")]
        )
    doc = load_yaml(path)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError([Problem(str(path), "must be a mapping with a 'config:' key")])
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigError([Problem(f"{path}: config", "must be a mapping of key: value")])
    return StackFile(project=project, stack=stack, path=path, config=config)


def short_stack_name(stack: str) -> str:
    """``dev`` for ``dev`` and ``org/project/dev``: the name its stack file is read by."""
    return stack.rsplit("/", 1)[-1]


def load_named_stack(project_dir: Path, stack: str) -> StackFile:
    """``load_stack`` for a stack as Pulumi names it: ``dev`` or ``org/project/dev`` both
    read ``Pulumi.dev.yaml``, as the CLI does."""
    return load_stack(project_dir, short_stack_name(stack))
