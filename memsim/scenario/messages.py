"""Pydantic's validation errors as located messages: ``file:line:col: key.path: message``.

:class:`Locations` knows where each key and value of a scenario sits in its file (kept by the
YAML reader of :mod:`memsim.scenario.load`); :func:`located_items` turns each error pydantic
reports into one message at its place, with a suggestion for a misspelt key and the allowed
keys when they are few.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from memsim.scenario.errors import ErrorItem, format_path
from memsim.scenario.errors import Path as KeyPath
from memsim.scenario.schema import Scenario
from memsim.units import describe

__all__ = ["OVERRIDE", "Locations", "data_path", "located_items"]

OVERRIDE = "--set"
"""Where a message about an overridden value points (no file position)."""
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
                return ErrorItem(OVERRIDE, 0, 0, text, message)
        positions = self.keys if key and path in self.keys else self.values
        for n in range(len(path), -1, -1):
            if path[:n] in positions:
                return ErrorItem(self.file, *positions[path[:n]], text, message)
            positions = self.values
        return ErrorItem(self.file, 0, 0, text, message)


# --- YAML -----------------------------------------------------------------------------------


# --- pydantic errors → located messages -----------------------------------------------------


def located_items(exc: ValidationError, raw: dict[str, Any], where: Locations) -> list[ErrorItem]:
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
        loc = data_path(raw, error["loc"])
        kind = error["type"]
        if kind == "missing" and (error["loc"][:-1], error["loc"][-1]) in misspelt:
            continue
        if kind == "memsim":
            for relative, message, *at_key in error.get("ctx", {})["issues"]:
                path = data_path(raw, (*error["loc"], *relative))
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


def data_path(raw: Any, loc: tuple[int | str, ...]) -> KeyPath:
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
