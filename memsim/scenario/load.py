"""Loading scenario files: safe YAML 1.2 with positions, validation, located errors.

The YAML is read with ruamel.yaml's round-trip loader, which keeps the line and column of every
key and value and never evaluates anything: explicit tags (``!!python/object``) are refused.
The data then goes through the pydantic models; every error they report is mapped back to its
place in the file, so a user sees ``scenario.yaml:12:15: vms[0].memory: …`` for each problem,
all at once.
"""

from __future__ import annotations

import datetime
import difflib
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError

from memsim.scenario.bounds import MAX_FILE_BYTES, check_structure, decode
from memsim.scenario.crosscheck import without
from memsim.scenario.errors import ErrorItem, ScenarioError, format_path
from memsim.scenario.errors import Path as KeyPath
from memsim.scenario.expand import set_path
from memsim.scenario.schema import Scenario
from memsim.scenario.shorten import bare_number_warnings, drop_after_end
from memsim.scenario.types import MAX_MACHINES, Context, expand_name
from memsim.units import describe, parse_duration, parse_size

__all__ = ["apply_overrides", "load", "loads", "validate"]

_REQUIRED = "a scenario needs at least name:, duration:, host: and vms:"
_OVERRIDE = "--set"
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "map", "seq")
}
_SHORT = 8  # list the allowed keys beside a suggestion when there are at most this many


@dataclass(frozen=True)
class Locations:
    """Where each key and value of a scenario sits in its file (1-based lines and columns).

    Attributes:
        file: The file's name as shown in messages.
        keys: Position of each mapping key, by path.
        values: Position of each value, by path.
        overridden: Paths whose values came from overrides rather than the file.
    """

    file: str
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    overridden: frozenset[KeyPath] = frozenset()

    def item(
        self, path: KeyPath, message: str, *, key: bool = False, shown: KeyPath = ()
    ) -> ErrorItem:
        """An error at ``path``: at its key or value, else at the nearest enclosing value."""
        text = format_path(shown or path)
        for n in range(len(path), -1, -1):
            if path[:n] in self.overridden:
                return ErrorItem(_OVERRIDE, 0, 0, text, message)
        positions = self.keys if key and path in self.keys else self.values
        for n in range(len(path), -1, -1):
            if path[:n] in positions:
                return ErrorItem(self.file, *positions[path[:n]], text, message)
            positions = self.values
        return ErrorItem(self.file, 0, 0, text, message)


# --- YAML -----------------------------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def _read(text: str, file: str) -> tuple[Any, Locations]:
    """Parse YAML text into plain data and the positions of its keys and values."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([ErrorItem(file, 0, 0, "", "the text is over 1 MiB; too large")])
    check_structure(text, file)
    try:
        with warnings.catch_warnings():  # YAML 1.2 lets an anchor be defined again
            warnings.simplefilter("ignore", ReusedAnchorWarning)
            document = _yaml().load(text)
    except DuplicateKeyError as exc:
        key = re.search(r'duplicate key "(.*?)"', str(exc.problem))
        name = key.group(1) if key else "?"
        raise _yaml_error(exc, file, f"duplicate key '{name}': each key may appear once") from None
    except MarkedYAMLError as exc:
        raise _yaml_error(exc, file, f"YAML syntax error: {_yaml_problem(exc)}") from None
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise ScenarioError([ErrorItem(file, 1, 1, "", f"YAML error: {exc}")]) from None
    locations = Locations(file, values={(): (1, 1)})
    problems: list[ErrorItem] = []
    data = _plain(document, (), locations, problems)
    if problems:
        raise ScenarioError(problems)
    return data, locations


def _yaml_problem(exc: MarkedYAMLError) -> str:
    """ruamel's description of a syntax error, with where the enclosing construct began."""
    problem = str(exc.problem or exc.context or "invalid YAML")
    start = exc.context_mark
    if exc.context and start and exc.problem:
        where = f"line {start.line + 1}, column {start.column + 1}"
        problem += f" ({exc.context.strip()} that starts at {where})"
    return problem


def _yaml_error(exc: MarkedYAMLError, file: str, message: str) -> ScenarioError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return ScenarioError([ErrorItem(file, line, col, "", message)])


def _plain(node: Any, path: KeyPath, where: Locations, problems: list[ErrorItem]) -> Any:
    """Convert ruamel's round-trip objects into plain Python data, recording positions."""
    tag = getattr(getattr(node, "tag", None), "value", None)
    if isinstance(node, TaggedScalar) or (tag and tag not in _PLAIN_TAGS):
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        problems.append(
            where.item(
                path, f"YAML tags such as '{shown}' are not allowed: a scenario is plain data"
            )
        )
        return None
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key is None or not isinstance(key, str | int | float):
                line, col = _one_based(node.lc.key(key))
                what = "null" if key is None else "a list or mapping"
                message = f"a key must be a name, not {what}"
                problems.append(ErrorItem(where.file, line, col, format_path(path), message))
                continue
            name = key if isinstance(key, str) else str(key)
            where.keys[(*path, name)] = _one_based(node.lc.key(key))
            where.values[(*path, name)] = _one_based(node.lc.value(key))
            out[name] = _plain(value, (*path, name), where, problems)
        return out
    if isinstance(node, CommentedSeq):
        for i in range(len(node)):
            where.values[(*path, i)] = _one_based(node.lc.item(i))
        return [_plain(item, (*path, i), where, problems) for i, item in enumerate(node)]
    if isinstance(node, datetime.date):
        problems.append(where.item(path, f"a date is not allowed here: {node}"))
        return None
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _one_based(position: tuple[int, int]) -> tuple[int, int]:
    return position[0] + 1, position[1] + 1


# --- validation -----------------------------------------------------------------------------


def _context(raw: Mapping[str, Any], base: Path, trace_roots: tuple[Path, ...]) -> Context:
    """Read the cross-references of a scenario from its raw data (see :class:`Context`)."""
    vms = raw.get("vms") if isinstance(raw.get("vms"), list) else []
    entries = [
        (i, vm["name"], _count(vm.get("count", 1)), _try(parse_size, vm.get("memory")))
        for i, vm in enumerate(vms or [])
        if isinstance(vm, dict) and isinstance(vm.get("name"), str)
    ]
    users: dict[str, list[str]] = {}
    for i, name, count, _ in entries:
        for member in expand_name(name, count):
            users.setdefault(member, []).append(f"vms[{i}]")
    clashes = {}
    for _, name, count, _ in entries:
        for member in expand_name(name, count):
            if len(users[member]) > 1:
                made = f"count {count} makes '{member}', which" if member != name else "it"
                others = " and ".join(users[member])
                clashes[name] = f"VM name '{name}' clashes: {made} is used by {others}"
    return Context(
        base=base,
        duration=_try(parse_duration, raw.get("duration")),
        memory={name: memory for _, name, _, memory in reversed(entries)},
        counts={name: count for _, name, count, _ in reversed(entries)},
        clashes=clashes,
        trace_roots=trace_roots,
    )


def _count(value: object) -> int:
    """A group's count as written, or 1 when invalid (the VM's own check reports it)."""
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_MACHINES
    return value if valid else 1  # type: ignore[return-value]


def _too_many(raw: Mapping[str, Any], where: Locations) -> None:
    """Refuse more than :data:`MAX_MACHINES` VMs in all before any group is expanded."""
    vms = raw.get("vms")
    if not isinstance(vms, list):
        return
    total = sum(_count(vm.get("count", 1)) for vm in vms if isinstance(vm, dict))
    if total > MAX_MACHINES:
        message = f"{total:,} VMs in all; a scenario holds at most {MAX_MACHINES:,}"
        raise ScenarioError([where.item(("vms",), message)])


def _try(parse: Any, value: object) -> Any:
    try:
        return parse(value)
    except ValueError:
        return None


def validate(
    data: Mapping[str, Any],
    source: str | Path | None = None,
    locations: Locations | None = None,
    *,
    trace_roots: Sequence[str | Path] = (),
) -> Scenario:
    """Build a :class:`Scenario` from plain data, with every check.

    Args:
        data: The scenario as a mapping, as loaded from YAML or built in Python.
        source: The file it came from: relative trace paths start from its directory, and
            traces must lie under it.
        locations: Positions of keys and values, for located errors.
        trace_roots: Other folders that traces may lie under.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: With every problem found.
    """
    where = locations or Locations(str(source) if source else "<data>")
    if not isinstance(data, Mapping):
        kind = "nothing" if data is None else describe(data)
        message = f"a scenario is a mapping of keys, not {kind}; {_REQUIRED}"
        raise ScenarioError([where.item((), message)])
    raw = dict(data)
    _too_many(raw, where)
    base = Path(source).parent if source else Path.cwd()
    roots = tuple(Path(root) for root in trace_roots)
    context = _context(raw, base, roots)
    try:
        scenario = Scenario.model_validate(raw, context=context)
    except ValidationError as exc:
        hidden = _hidden(exc, raw, base, roots, where)
        raise ScenarioError(_items(exc, raw, where) + hidden) from None
    scenario._raw = raw
    scenario._source = Path(source) if source else None
    scenario._locations = where
    scenario._trace_roots = roots
    scenario._warnings = [f"{where.file}: {text}" for text in bare_number_warnings(context.bare)]
    return scenario


def loads(
    text: str, source: str | Path | None = None, *, trace_roots: Sequence[str | Path] = ()
) -> Scenario:
    """Load a scenario from YAML text.

    Args:
        text: The YAML document.
        source: The file it came from, for messages and relative trace paths.
        trace_roots: Folders besides the scenario's that traces may lie under.

    Raises:
        ScenarioError: With every problem found, each located in the text.
    """
    file = str(source) if source else "<string>"
    data, locations = _read(text, file)
    if data is None:
        raise ScenarioError([ErrorItem(file, 1, 1, "", f"the file is empty; {_REQUIRED}")])
    return validate(data, source, locations, trace_roots=trace_roots)


def load(path: str | Path, *, trace_roots: Sequence[str | Path] = ()) -> Scenario:
    """Load a scenario file (at most 1 MiB of UTF-8 YAML).

    Args:
        path: The file.
        trace_roots: Folders besides the scenario's that its traces may lie under.

    Raises:
        ScenarioError: If the file cannot be read or is not a valid scenario; every problem is
            reported, each as ``file:line:col: key.path: message``.
    """
    path = Path(path)
    if path.is_dir():
        raise ScenarioError([ErrorItem(str(path), 0, 0, "", "is a directory, not a scenario file")])
    try:
        with path.open("rb") as fh:  # at most one byte past the limit, whatever the file is
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([ErrorItem(str(path), 0, 0, "", "no such file")]) from None
    except OSError as exc:
        raise ScenarioError([ErrorItem(str(path), 0, 0, "", f"cannot read: {exc}")]) from None
    return loads(decode(data, str(path)), path, trace_roots=trace_roots)


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A copy of a scenario with values replaced by key path, validated again.

    Args:
        scenario: The scenario to change.
        overrides: New values by key path, as they would be written in YAML:
            ``{"vms.web.memory": "8GiB", "host.advanced.Mem.IdleTax": 0, "seed": 3}``.

    Raises:
        ScenarioError: If a path leads nowhere or a value is invalid; errors in overridden
            values are reported as coming from ``--set``.
    """
    raw = scenario.raw
    where: Locations = getattr(scenario, "_locations", None) or Locations("<data>")
    changed = set(where.overridden)
    problems = []
    for path, value in overrides.items():
        try:
            changed.add(set_path(raw, path, value))
        except ValueError as exc:
            problems.append(ErrorItem(_OVERRIDE, 0, 0, path, str(exc)))
    if problems:
        raise ScenarioError(problems)
    cut = drop_after_end(raw) if "duration" in overrides else []
    located = replace(where, overridden=frozenset(changed))
    result = validate(raw, scenario.source, located, trace_roots=scenario._trace_roots)
    result._warnings = [*scenario.warnings, *(f"--set duration: {text}" for text in cut)]
    return result


def _hidden(
    exc: ValidationError,
    raw: dict[str, Any],
    base: Path,
    roots: tuple[Path, ...],
    where: Locations,
) -> list:
    """Cross-field problems that ``exc`` hid, found without its invalid values (crosscheck)."""
    found: list[ErrorItem] = []
    seen = {(i.line, i.col, i.path) for i in _items(exc, raw, where)}
    for _ in range(3):  # each pass may uncover checks of the models one level up
        pruned, removed = without(raw, (_data_path(raw, e["loc"]) for e in exc.errors()))
        if not removed:
            break
        try:
            Scenario.model_validate(pruned, context=_context(pruned, base, roots))
            break
        except ValidationError as again:
            # not about a removed key, a key now missing, or the mapping that lost a key
            gone = {format_path(p) for path in removed for p in (path, path[:-1])} | {
                format_path(_data_path(pruned, e["loc"]))
                for e in again.errors()
                if e["type"] == "missing"
            }
            new = [
                i
                for i in _items(again, pruned, where)
                if i.path not in gone and (i.line, i.col, i.path) not in seen
            ]
            found += new
            seen |= {(i.line, i.col, i.path) for i in new}
            raw, exc = pruned, again
    return found


# --- pydantic errors → located messages -----------------------------------------------------


def _items(exc: ValidationError, raw: dict[str, Any], where: Locations) -> list[ErrorItem]:
    """One located message per problem; a missing key that an unknown key misspells is
    reported once, as the misspelling."""
    errors = exc.errors(include_url=False)
    misspelt = {
        (error["loc"][:-1], suggestion)
        for error in errors
        if error["type"] == "extra_forbidden"
        for suggestion in _suggest(error)
    }
    items = []
    for error in errors:
        loc = _data_path(raw, error["loc"])
        kind = error["type"]
        if kind == "missing" and (error["loc"][:-1], error["loc"][-1]) in misspelt:
            continue
        if kind == "memsim":
            for relative, message, *at_key in error.get("ctx", {})["issues"]:
                path = _data_path(raw, (*error["loc"], *relative))
                items.append(where.item(path, message, key=bool(at_key)))
        elif kind == "missing":
            key = loc[-1]
            items.append(where.item(loc[:-1], f"missing required key '{key}'", shown=loc))
        elif kind == "extra_forbidden":
            items.append(where.item(loc, _unknown_key(error), key=True))
        else:
            items.append(where.item(loc, _message(error)))
    return items


_TAGS = re.compile(r"\[|^(int|float|str|bool|none|checks)$")


def _data_path(raw: Any, loc: tuple[int | str, ...]) -> KeyPath:
    """Drop pydantic's own markers (union members, validator names) from an error location."""
    path: list[str | int] = []
    node = raw
    for part in loc:
        inside = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        )
        if not inside and isinstance(part, str) and _TAGS.search(part):
            continue
        node = node[part] if inside else None
        path.append(part)
    return tuple(path)


def _suggest(error: ErrorDetails) -> list[str]:
    """The allowed key closest to an unknown one, if any is close."""
    allowed = _allowed_keys(error["loc"][:-1])
    return difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1, cutoff=0.6)


def _unknown_key(error: ErrorDetails) -> str:
    key = str(error["loc"][-1])
    allowed = _allowed_keys(error["loc"][:-1])
    close = _suggest(error)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    if allowed and (not close or len(allowed) <= _SHORT):
        hint += f" (allowed: {', '.join(allowed)})"
    return f"unknown key '{key}'{hint}"


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at a pydantic error location accepts."""
    kind: Any = Scenario
    for part in loc:
        kind = _unwrap(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            fields = {(f.alias or name): f for name, f in kind.model_fields.items()}
            if part not in fields:
                return []
            kind = fields[str(part)].annotation
        elif get_origin(kind) in (list, tuple, dict):
            kind = get_args(kind)[-1]
        else:
            return []
    kind = _unwrap(kind)
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return [(f.alias or name) for name, f in kind.model_fields.items() if name != "checks"]
    return []


def _unwrap(kind: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` from a field type."""
    while get_origin(kind) is not None and get_origin(kind) not in (list, tuple, dict):
        members = [a for a in get_args(kind) if a is not type(None)]
        kind = members[0]
    return kind


def _message(error: ErrorDetails) -> str:
    """A user's message for a pydantic error: what was expected and what was found."""
    kind, ctx, got = error["type"], error.get("ctx", {}), describe(error["input"])
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "literal_error":
        words = re.findall(r"'([^']*)'", str(ctx["expected"]))
        close = difflib.get_close_matches(str(error["input"]), words, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"expected {ctx['expected']}, got {got}{hint}"
    if kind == "string_pattern_mismatch":
        return f"{got}: use letters, digits, '-' and '_' (names appear in paths and folder names)"
    if kind == "too_short":
        return "must not be empty"
    for prefix, expected in _EXPECTED.items():
        if kind.startswith(prefix):
            return f"expected {expected}, got {got}"
    for key, bound in _BOUNDS.items():
        if key in ctx:
            return f"must be {bound} {ctx[key]}, got {got}"
    return f"{error['msg'][0].lower()}{error['msg'][1:]}, got {got}"


_EXPECTED = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "string": "text",
    "dict": "a mapping (key: value)",
    "model": "a mapping (key: value)",
    "list": "a list",
    "tuple": "a list",
}
_BOUNDS = {"gt": "greater than", "ge": "at least", "lt": "less than", "le": "at most"}
