"""Atomic file writes: a file is either absent, unchanged, or complete (DESIGN.md §5).

Every output of memsim (run folders, esxtop exports, reports, sweep tables) is written through
these: to a temporary file in the same folder, then renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "umask"]


def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """Write a file atomically through a callback that writes to a given path.

    Args:
        path: Final location of the file.
        write: Called with a temporary path in the same directory; it must write the whole file
            there (for example ``df.to_parquet`` or ``fig.savefig``).

    Returns:
        ``path``.

    The temporary file is removed if ``write`` raises anything, including ``KeyboardInterrupt``,
    so ``path`` is either absent, unchanged, or the complete new file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp creates 0600; give the usual permissions
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def umask() -> int:
    """The process's file mode creation mask (read without changing it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write_bytes(path, text.encode("utf-8"))
