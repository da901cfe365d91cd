"""Loading scenario files: safe YAML 1.2 with positions, validation, located errors.

The YAML is read with ruamel.yaml's round-trip loader, which keeps the line and column of every
key and value and never evaluates anything: explicit tags (``!!python/object``) are refused.
The data then goes through the pydantic models; every error they report is mapped back to its
place in the file, so a user sees ``scenario.yaml:12:15: vms[0].memory: …`` for each problem,
all at once.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, ReusedAnchorWarning, YAMLError

from memsim.scenario.bounds import MAX_FILE_BYTES, check_structure, decode
from memsim.scenario.clock import parse_start
from memsim.scenario.crosscheck import without
from memsim.scenario.errors import ErrorItem, ScenarioError, format_path
from memsim.scenario.errors import Path as KeyPath
from memsim.scenario.expand import set_path
from memsim.scenario.messages import OVERRIDE, Locations, data_path, located_items
from memsim.scenario.schema import Scenario
from memsim.scenario.shorten import bare_number_warnings, drop_after_end
from memsim.scenario.types import MAX_MACHINES, Context, expand_name
from memsim.units import describe, parse_duration, parse_size

__all__ = ["apply_overrides", "load", "loads", "validate"]

_REQUIRED = "a scenario needs at least name:, duration:, host: and vms:"
_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{kind}" for kind in ("str", "int", "float", "bool", "null", "map", "seq")
}


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
    """Ruamel's description of a syntax error, with where the enclosing construct began."""
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
    if isinstance(node, datetime.date):  # a date-time where the format allows one (start:)
        return node.isoformat()
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
        start=_try(parse_start, raw.get("start")),
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
        raise ScenarioError(located_items(exc, raw, where) + hidden) from None
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
            problems.append(ErrorItem(OVERRIDE, 0, 0, path, str(exc)))
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
) -> list[ErrorItem]:
    """Cross-field problems that ``exc`` hid, found without its invalid values (crosscheck)."""
    found: list[ErrorItem] = []
    seen = {(i.line, i.col, i.path) for i in located_items(exc, raw, where)}
    for _ in range(3):  # each pass may uncover checks of the models one level up
        pruned, removed = without(raw, (data_path(raw, e["loc"]) for e in exc.errors()))
        if not removed:
            break
        try:
            Scenario.model_validate(pruned, context=_context(pruned, base, roots))
            break
        except ValidationError as again:
            # not about a removed key, a key now missing, or the mapping that lost a key
            gone = {format_path(p) for path in removed for p in (path, path[:-1])} | {
                format_path(data_path(pruned, e["loc"]))
                for e in again.errors()
                if e["type"] == "missing"
            }
            new = [
                i
                for i in located_items(again, pruned, where)
                if i.path not in gone and (i.line, i.col, i.path) not in seen
            ]
            found += new
            seen |= {(i.line, i.col, i.path) for i in new}
            raw, exc = pruned, again
    return found
