"""The ``--json`` objects of ``memsim run``, ``validate``, ``sweep`` and ``capacity``.

Each command prints one object on stdout. The shapes are stable (fields are added, never
renamed or removed, within a major version) and described by the JSON Schema shipped as
``memsim/cli_output.schema.json``; ``docs/cli-json.md`` documents them. Numbers are in the
units of the summary tables (MiB, seconds, %); a value that was not computed is ``null``.
"""

from __future__ import annotations

import json
import math
from importlib import resources
from typing import Any

import pandas as pd

__all__ = ["FORMAT", "capacity_json", "dumps", "run_json", "schema", "sweep_json", "validate_json"]

#: Version of the objects' shape, in every object as ``"format"``.
FORMAT = 1


def schema() -> dict[str, Any]:
    """The JSON Schema of every ``--json`` object."""
    text = resources.files("memsim").joinpath("cli_output.schema.json").read_text()
    return dict(json.loads(text))


def _clean(value: Any) -> Any:
    """Plain JSON values: NaN and missing become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [_clean(row) for row in frame.to_dict(orient="records")]


def dumps(obj: dict[str, Any]) -> str:
    """The object as indented JSON text."""
    return json.dumps(_clean(obj), indent=2)


def run_json(results: Any, folder: str, claims: list[Any] | None) -> dict[str, Any]:
    """``memsim run --json``: the run summary, the output folder and the claims checked."""
    summary = results.summary()
    host = summary.host.iloc[0].to_dict() if len(summary.host) else {}
    obj: dict[str, Any] = {
        "format": FORMAT,
        "command": "run",
        "scenario": results.name,
        "output": folder,
        "seed": results.manifest.get("seed"),
        "duration": results.manifest.get("simulated"),
        "vms": {str(name): row.to_dict() for name, row in summary.vms.iterrows()},
        "host": host,
        "claims": None,
        "warnings": list(results.manifest.get("warnings", [])),
    }
    if claims is not None:
        obj["claims"] = [
            {
                "claim": c.claim,
                "measured": c.measured,
                "passed": bool(c.passed),
                "detail": c.detail,
            }
            for c in claims
        ]
    return obj


def validate_json(files: list[dict[str, Any]]) -> dict[str, Any]:
    """``memsim validate --json``: per file, OK or its located errors."""
    return {"format": FORMAT, "command": "validate", "files": files}


def sweep_json(
    table: pd.DataFrame, output: str, metric: str, points: pd.DataFrame
) -> dict[str, Any]:
    """``memsim sweep --json``: run counts and the metric per grid point."""
    return {
        "format": FORMAT,
        "command": "sweep",
        "output": output,
        "metric": metric,
        "runs": len(table),
        "failed": int((table["status"] != "ok").sum()),
        "points": _records(points),
    }


def capacity_json(answer: Any) -> dict[str, Any]:
    """``memsim capacity --json``: the answer and the probed counts."""
    return {
        "format": FORMAT,
        "command": "capacity",
        "vm": answer.vm,
        "count": answer.count,
        "bound": answer.bound,
        "metric": answer.metric,
        "capped": bool(answer.capped),
        "evidence": _records(answer.evidence),
    }
