"""A catalogue of malformed (and a few odd but valid) scenario files, generated.

Each entry is a scenario file, with the trace files it names beside it, that once made memsim
hang, eat gigabytes, crash mid-run or print a traceback (issue 16), plus a systematic sweep of
bad values over every key. ``tests/test_malformed.py`` checks that each ends within 10 s and
1 GiB, with exit 2 and a located message, or (when valid) with a clean run.

Write the catalogue into a folder to look at it::

    python tests/support/malformed_catalogue.py /tmp/catalogue
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

BASE = """\
name: base
duration: 2min
record_every: 20s
host:
  memory: 1GiB
  vmkernel: 64MiB
  swap: disk
  advanced: {Mem.IdleTax: 75}
vms:
  - name: web
    count: 2
    memory: 256MiB
    reservation: 16MiB
    limit: unlimited
    shares: normal
    power_on: 10s
    workload:
      footprint: 50%
      active: 20%
      phases: [{at: 1min, active: 30%}]
  - name: db
    memory: 256MiB
    workload: {trace: trace.csv}
events:
  - at: 1min
    set: {vms.web.limit: 128MiB}
expect:
  - at: end
    vm: web-1
    consumed: {max: 256MiB}
"""
TRACE = "time,active,footprint\n0,10,50\n60,20,60\n"


@dataclass(frozen=True)
class Case:
    """One catalogue file.

    Attributes:
        name: File name (without ``.yaml``).
        text: Scenario text, or bytes for binary content.
        files: Other files to write beside it (traces), by name.
        located: Whether every message must carry a line and column (False for problems of
            the whole file, such as its size or encoding at no particular place).
    """

    name: str
    text: str | bytes
    files: tuple[tuple[str, str | bytes], ...] = (("trace.csv", TRACE),)
    located: bool = True


def _replace(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def _yaml_cases() -> Iterator[Case]:
    laughs = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10))
    yield Case("billion-laughs", BASE + "l0: &l0 [lol, lol, lol, lol, lol]\n" + laughs)
    yield Case("deep-flow", "name: " + "[" * 300 + "]" * 300 + "\n")
    yield Case("deep-flow-maps", "name: " + "{a: " * 200 + "1" + "}" * 200 + "\n")
    yield Case(
        "deep-block", "".join("  " * i + f"k{i}:\n" for i in range(120)) + "  " * 120 + "v\n"
    )
    yield Case("recursive-alias", "name: &a [*a]\n")
    yield Case("recursive-alias-map", _replace("vms:\n", "loop: &m {self: *m}\nvms:\n"))
    yield Case("undefined-alias", _replace("name: base", "name: *nowhere"))
    yield Case("python-tag", _replace("name: base", "name: !!python/object/apply:os.system [ls]"))
    yield Case("custom-tag", _replace("memory: 1GiB", "memory: !size 1GiB"))
    yield Case("duplicate-key", _replace("duration: 2min", "duration: 2min\nduration: 3min"))
    yield Case("tab-indent", _replace("  memory: 1GiB", "\tmemory: 1GiB"))
    yield Case(
        "unclosed-bracket", _replace("advanced: {Mem.IdleTax: 75}", "advanced: {Mem.IdleTax: 75")
    )
    yield Case("unclosed-quote", _replace("name: base", "name: 'base"))
    yield Case("empty", "")
    yield Case("comments-only", "# nothing here\n")
    yield Case("list-document", "- name: base\n")
    yield Case("scalar-document", "just text\n")
    yield Case("two-documents", BASE + "---\n" + BASE)
    yield Case("int-4301-digits", _replace("vms:\n", f"seed: {'9' * 4301}\nvms:\n"))
    yield Case("int-1000-digits", _replace("vms:\n", f"seed: {'9' * 1000}\nvms:\n"))
    yield Case("float-huge-exponent", _replace("duration: 2min", "duration: 1e7000000"))
    yield Case("sequence-key", BASE + "? [a, b]\n: 1\n")
    yield Case("mapping-key", BASE + "? {a: 1}\n: 1\n")
    yield Case("null-key", BASE + "~: 1\n")
    yield Case("null-key-in-vm", _replace("    reservation: 16MiB", "    ~: 16MiB"))
    yield Case("int-key", BASE + "12: 1\n")
    yield Case("bool-key", BASE + "true: 1\n")
    yield Case("date-value", _replace("name: base", "name: 2025-01-01"))
    yield Case("long-line", _replace("name: base", "name: base\ndescription: " + "x" * 500_000))
    yield Case("many-anchors", BASE + "".join(f"a{i}: &a{i} {i}\n" for i in range(2000)))
    yield Case("null-document", "~\n")
    yield Case(
        "reused-anchor",
        _replace("  advanced: {Mem.IdleTax: 75}", "  advanced: &x {Mem.IdleTax: 75}\n  ad: &x 1"),
    )
    yield Case("nested-collection-key", BASE + "? [a, {b: 1}]\n: 1\n")
    yield Case(
        "alias-of-map-as-key", _replace("  swap: disk", "  swap: &s {device: ssd}\n  *s : 1")
    )
    yield Case("bom", "\ufeff" + BASE)


def _whole_file_cases() -> Iterator[Case]:
    rng = random.Random(16)
    for i in range(4):
        yield Case(f"binary-{i}", bytes(rng.randrange(256) for _ in range(2000)), located=True)
    yield Case("nul-byte", BASE.encode().replace(b"name: base", b"name: ba\0se"))
    yield Case("latin-1", BASE.replace("name: base", "name: caf\u00e9").encode("latin-1"))
    yield Case("utf-16", BASE.encode("utf-16"))
    yield Case("too-large-2MiB", BASE + "#" + "x" * (2 << 20) + "\n", located=False)
    events = "".join(
        f"  - {{at: {i % 100}s, set: {{vms.web.limit: 128MiB}}}}\n" for i in range(60_000)
    )
    yield Case("million-events", BASE + "extra_events:\n" + events, located=False)


_BAD_VALUES = ("null", "[]", "{}", "abc", "-1", "'1e7000000B'", "nan", ".inf", "true", "1e30")
_KEYS = {
    "duration": "duration: 2min",
    "record_every": "record_every: 20s",
    "host.memory": "  memory: 1GiB",
    "host.vmkernel": "  vmkernel: 64MiB",
    "host.swap": "  swap: disk",
    "host.advanced": "  advanced: {Mem.IdleTax: 75}",
    "vm.memory": "    memory: 256MiB\n    reservation",
    "vm.reservation": "    reservation: 16MiB",
    "vm.limit": "    limit: unlimited",
    "vm.shares": "    shares: normal",
    "vm.count": "    count: 2",
    "vm.power_on": "    power_on: 10s",
    "vm.footprint": "      footprint: 50%",
    "vm.active": "      active: 20%",
    "vm.phases": "      phases: [{at: 1min, active: 30%}]",
    "vm.trace": "    workload: {trace: trace.csv}",
    "event.at": "  - at: 1min",
    "event.set": "    set: {vms.web.limit: 128MiB}",
    "claim.at": "  - at: end",
    "claim.vm": "    vm: web-1",
    "claim.consumed": "    consumed: {max: 256MiB}",
}


def _value_cases() -> Iterator[Case]:
    """Every bad value at every key (some happen to be valid: those must run cleanly)."""
    for key, line in _KEYS.items():
        head, _, rest = line.partition(":")
        tail = rest.partition("\n")[2]
        for i, value in enumerate(_BAD_VALUES):
            text = f"{head}: {value}" + (f"\n{tail}" if tail else "")
            yield Case(f"value-{key}-{i}", _replace(line, text))


def _rule_cases() -> Iterator[Case]:
    yield Case("claim-at-null", _replace("  - at: end", "  - at: null"))
    yield Case("claim-during-null", _replace("  - at: end", "  - during: null"))
    yield Case("claim-vm-null", _replace("    vm: web-1", "    vm: null"))
    yield Case("claim-window-null", _replace("  - at: end", "  - during: [null, end]"))
    yield Case(
        "event-workload-before-power-on",
        _replace(
            "    set: {vms.web.limit: 128MiB}", "    set: {vms.web.workload.active: 10%}"
        ).replace("  - at: 1min\n    set", "  - at: 5s\n    set"),
    )
    yield Case("event-limit-below-reservation", _replace("limit: 128MiB}", "limit: 8MiB}"))
    yield Case("event-reservation-above-memory", _replace("limit: 128MiB}", "reservation: 1GiB}"))
    yield Case(
        "event-footprint-above-memory",
        _replace("vms.web.limit: 128MiB", "vms.web.workload.footprint: 1GiB"),
    )
    yield Case("event-maxmemctl-above-memory", _replace("limit: 128MiB}", "maxmemctl: 2GiB}"))
    yield Case("event-unknown-path", _replace("vms.web.limit", "vms.web.colour"))
    yield Case("event-unknown-vm", _replace("vms.web.limit", "vms.nosuch.limit"))
    yield Case("event-fixed-key", _replace("vms.web.limit: 128MiB", "vms.web.memory: 1GiB"))
    yield Case("step-1e-9s", _replace("duration: 2min", "duration: 2min\nstep: 1e-9s"))
    yield Case("swap-bandwidth-0", _replace("  swap: disk", "  swap: {latency: 8ms, bandwidth: 0}"))
    yield Case("count-10-million", _replace("    count: 2", "    count: 10000000"))
    yield Case(
        "many-groups",
        _replace(
            "vms:\n",
            "vms:\n"
            + "".join(f"  - {{name: g{i}, memory: 1MiB, count: 10000}}\n" for i in range(50)),
        ),
    )
    yield Case(
        "vm-1PiB",
        _replace("    memory: 256MiB\n    reservation", "    memory: 1PiB\n    reservation"),
    )
    yield Case(
        "vm-10000x1GiB",
        _replace("    count: 2\n    memory: 256MiB", "    count: 10000\n    memory: 1GiB"),
    )
    yield Case(
        "record-every-1ms-10-years",
        _replace(
            "duration: 2min\nrecord_every: 20s", "duration: 3650d\nstep: 1ms\nrecord_every: 1ms"
        ),
    )
    yield Case(
        "duration-10-years-step-1ms", _replace("duration: 2min", "duration: 3650d\nstep: 1ms")
    )
    yield Case(
        "power-off-null", _replace("    power_on: 10s", "    power_on: 10s\n    power_off: null")
    )


def _trace_cases() -> Iterator[Case]:
    def with_trace(name: str, content: str | bytes) -> Case:
        return Case(name, BASE, (("trace.csv", content),))

    yield with_trace("trace-non-numeric", "time,active,footprint\n0,10,50\n60,abc,60\n")
    yield with_trace("trace-nan", "time,active,footprint\n0,nan,50\n")
    yield with_trace("trace-inf", "time,active,footprint\n0,10,inf\n")
    yield with_trace("trace-negative", "time,active,footprint\n0,-10,50\n")
    yield with_trace("trace-backwards", "time,active,footprint\n60,10,50\n0,10,50\n")
    yield with_trace("trace-binary", bytes(range(256)) * 8)
    yield with_trace(
        "trace-latin-1", "time,active,footprint\n0,10,50\n# caf\u00e9\n".encode("latin-1")
    )
    yield with_trace("trace-nul", b"time,active,footprint\n0,1\x000,50\n")
    yield with_trace(
        "trace-header-128KiB", "time,active,footprint" + "x" * (128 << 10) + "\n0,1,2\n"
    )
    yield with_trace("trace-field-200KiB", "time,active,footprint\n0,1," + "9" * (200 << 10) + "\n")
    yield with_trace("trace-empty", "")
    yield with_trace("trace-header-only", "time,active,footprint\n")
    yield with_trace("trace-missing-columns", "t,a\n0,1\n")
    yield with_trace("trace-short-row", "time,active,footprint\n0,10\n")
    for name, path in [
        ("trace-etc-passwd", "/etc/passwd"),
        ("trace-dotdot", "../../../../etc/passwd"),
        ("trace-proc", "/proc/self/status"),
        ("trace-dev-zero", "/dev/zero"),
        ("trace-directory", "."),
        ("trace-missing", "nosuch.csv"),
    ]:
        yield Case(name, _replace("{trace: trace.csv}", f"{{trace: '{path}'}}"))
    yield Case(
        "trace-esxtop-not-capture",
        _replace("{trace: trace.csv}", "{trace: {file: trace.csv, vm: x}}"),
    )


def cases() -> list[Case]:
    """The whole catalogue."""
    makers: list[Callable[[], Iterator[Case]]] = [
        _yaml_cases,
        _whole_file_cases,
        _value_cases,
        _rule_cases,
        _trace_cases,
    ]
    return [case for make in makers for case in make()]


def write(case: Case, folder: Path) -> Path:
    """Write one case into its own folder; returns the scenario's path."""
    home = folder / case.name
    home.mkdir(parents=True, exist_ok=True)
    for name, content in case.files:
        path = home / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    scenario = home / "scenario.yaml"
    if isinstance(case.text, bytes):
        scenario.write_bytes(case.text)
    else:
        scenario.write_text(case.text, encoding="utf-8")
    return scenario


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "catalogue")
    for case in cases():
        write(case, out)
    print(f"wrote {len(cases())} scenarios under {out}{os.sep}")
