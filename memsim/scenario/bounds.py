"""Limits on what a scenario file may hold, checked before anything is built from it.

A scenario is a few kilobytes of plain data. A file that is far larger, nests far deeper or
expands YAML aliases into millions of copies ("billion laughs") is refused with a located error
before it can take minutes or gigabytes: the file's size is checked before it is read, its bytes
before they are decoded, and its YAML *events* (a flat stream that ruamel produces without
recursion) before a document is composed from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
)

from memsim.scenario.errors import ErrorItem, ScenarioError

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "check_structure", "decode"]

MAX_FILE_BYTES = 1 << 20
"""Largest scenario file (1 MiB): the biggest shipped scenario is under 10 KiB."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and lists; the format itself needs six levels."""
MAX_NODES = 200_000
"""Most values a document may hold once its aliases are expanded."""
MAX_DIGITS = 1_000
"""Longest unquoted number in characters (Python refuses integers beyond 4,300 digits)."""

_NUMERIC = re.compile(r"[-+]?[0-9][0-9_.eE+-]*")


def _error(file: str, line: int, col: int, message: str) -> ScenarioError:
    return ScenarioError([ErrorItem(file, line, col, "", message)])


def decode(data: bytes, file: str) -> str:
    """The text of a scenario file: UTF-8 without NUL bytes, at most :data:`MAX_FILE_BYTES`.

    Raises:
        ScenarioError: Located at the first offending byte.
    """
    if len(data) > MAX_FILE_BYTES:
        raise _error(file, 0, 0, "the file is larger than 1 MiB, the most a scenario may be")
    nul = data.find(b"\0")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        byte = data[exc.start : exc.start + 1].hex()
        raise _error(file, line, col, f"not UTF-8 text (byte 0x{byte}); save it as UTF-8") from None
    if nul >= 0:
        line, col = _position(data, nul)
        raise _error(file, line, col, "a NUL byte: this is a binary file, not a scenario")
    return text


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    before = data[:offset]
    start = before.rfind(b"\n") + 1
    return before.count(b"\n") + 1, len(before[start:].decode("utf-8", "replace")) + 1


@dataclass
class _Open:
    """A mapping or list whose events are being counted."""

    anchor: str | None
    mapping: bool
    nodes: int = 1
    key_next: bool = True  #: in a mapping: whether the next value is a key


@dataclass
class _Tally:
    """Running counts of one document's events."""

    file: str
    sizes: dict[str, int] = field(default_factory=dict)
    stack: list[_Open] = field(default_factory=list)
    total: int = 0

    def add(self, nodes: int, mark: Any) -> None:
        self.total += nodes
        if self.total > MAX_NODES:
            raise self.located(
                mark, f"the document expands to more than {MAX_NODES:,} values (through aliases "
                "or sheer size); a scenario is far smaller"
            )  # fmt: skip
        if self.stack:
            self.stack[-1].nodes += nodes

    def begin(self, mark: Any, collection: bool) -> None:
        """A value starts: a mapping key must not be a list or a mapping."""
        parent = self.stack[-1] if self.stack else None
        if collection and parent is not None and parent.mapping and parent.key_next:
            raise self.located(mark, "a key must be a name, not a list or mapping")

    def end(self) -> None:
        """A value ended: in a mapping, keys and values alternate."""
        if self.stack and self.stack[-1].mapping:
            self.stack[-1].key_next = not self.stack[-1].key_next

    def located(self, mark: Any, message: str) -> ScenarioError:
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return _error(self.file, line, col, message)


def check_structure(text: str, file: str) -> None:
    """Refuse YAML that nests too deep, expands too far or refers to itself.

    Counts values as aliases would expand them (an alias counts the whole of what it names),
    without building anything. Syntax errors are left to the loader, which locates them.

    Raises:
        ScenarioError: Located at the event that crossed a limit.
    """
    tally = _Tally(file)
    try:
        for event in YAML(typ="safe").parse(text):  # libyaml when installed: fast
            _count(event, tally)
    except ScenarioError:
        raise
    except Exception:  # a syntax error: the loader reports it with its position
        return


def _count(event: Any, tally: _Tally) -> None:
    mark = event.start_mark
    if isinstance(event, AliasEvent):
        if any(entry.anchor == event.anchor for entry in tally.stack):
            raise tally.located(mark, f"alias *{event.anchor} refers to a value that holds it")
        tally.add(tally.sizes.get(event.anchor, 1), mark)
        tally.end()
    elif isinstance(event, ScalarEvent):
        value = event.value
        if event.style is None and len(value) > MAX_DIGITS and _NUMERIC.fullmatch(value):
            raise tally.located(mark, f"a number of {len(value):,} characters is not allowed")
        tally.add(1, mark)
        tally.end()
        if event.anchor is not None:
            tally.sizes[event.anchor] = 1
    elif isinstance(event, CollectionStartEvent):
        if len(tally.stack) >= MAX_DEPTH:
            raise tally.located(mark, f"nested more than {MAX_DEPTH} levels deep")
        tally.begin(mark, collection=True)
        tally.stack.append(_Open(event.anchor, isinstance(event, MappingStartEvent)))
        tally.total += 1
    elif isinstance(event, CollectionEndEvent):
        done = tally.stack.pop()
        if tally.stack:
            tally.stack[-1].nodes += done.nodes
        if done.anchor is not None:
            tally.sizes[done.anchor] = done.nodes
        tally.end()
