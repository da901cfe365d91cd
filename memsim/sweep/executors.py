"""Where sweep runs execute: in this process, or on a dask.distributed cluster.

Both executors take tasks one at a time (:meth:`submit`) and hand back outcomes as they finish
(:meth:`outcomes`); a task may be submitted again while outcomes are being read (a retry).
dask is imported only when a cluster is asked for.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = [
    "CONNECT_TIMEOUT",
    "DaskExecutor",
    "Executor",
    "Outcome",
    "SchedulerUnreachable",
    "SerialExecutor",
    "connect",
]

CONNECT_TIMEOUT = "5s"
"""How long to wait for a remote scheduler to answer."""
DASHBOARD = "127.0.0.1:8787"
"""Where a local cluster serves its dashboard: this machine only."""


class SchedulerUnreachable(ConnectionError):
    """No dask scheduler answered at the address given."""


Outcome = tuple[Any, Any, BaseException | None]
"""(tag given to submit, value, exception): exactly one of value and exception is set."""


class Executor(Protocol):
    """Runs tasks and reports their outcomes in the order they finish."""

    def submit(self, tag: Any, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``; ``tag`` comes back with its outcome."""

    def outcomes(self) -> Iterator[Outcome]:
        """Outcomes of queued tasks until none is left (including tasks queued meanwhile)."""
        ...  # pragma: no cover

    def cancel(self) -> None:
        """Drop the tasks not yet finished (after Ctrl-C)."""


class SerialExecutor:
    """Runs each task in this process, in the order queued."""

    def __init__(self) -> None:
        self._queue: deque[tuple[Any, Callable[..., Any], tuple[Any, ...]]] = deque()

    def submit(self, tag: Any, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``."""
        self._queue.append((tag, fn, args))

    def outcomes(self) -> Iterator[Outcome]:
        """Run the queued tasks one by one; a task's exception becomes its outcome."""
        while self._queue:
            tag, fn, args = self._queue.popleft()
            try:
                value = fn(*args)
            except Exception as exc:
                yield tag, None, exc
            else:
                yield tag, value, None

    def cancel(self) -> None:
        """Drop the tasks not yet run."""
        self._queue.clear()


class DaskExecutor:
    """Runs each task as one dask.distributed task (``pure=False``: a retry really reruns).

    Args:
        client: A connected ``distributed.Client``.
    """

    def __init__(self, client: Any) -> None:
        from distributed import as_completed

        self.client = client
        self._pending = as_completed(loop=client.loop)
        self._tags: dict[str, Any] = {}

    def submit(self, tag: Any, fn: Callable[..., Any], *args: Any) -> None:
        """Send ``fn(*args)`` to the cluster."""
        future = self.client.submit(fn, *args, pure=False)
        self._tags[future.key] = tag
        self._pending.add(future)

    def outcomes(self) -> Iterator[Outcome]:
        """Outcomes as tasks finish on the workers; a lost worker counts as a failure."""
        for future in self._pending:
            tag = self._tags.pop(future.key)
            try:
                value = future.result()
            except Exception as exc:
                yield tag, None, exc
            else:
                yield tag, value, None
            finally:
                future.release()

    def cancel(self) -> None:
        """Cancel what is still queued or running (after Ctrl-C)."""
        futures = list(self._pending.futures)
        self._pending.clear()
        self._tags.clear()
        if futures:
            self.client.cancel(futures)


@contextmanager
def connect(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    dashboard: bool = False,
    client: Any = None,
) -> Iterator[Executor]:
    """An executor: serial by default, else a new local cluster or an existing one.

    Args:
        workers: Start a ``LocalCluster`` of this many single-threaded worker processes.
        scheduler: Address of a running dask scheduler (``tcp://host:8786``) to use instead.
        dashboard: Serve the dask dashboard of a local cluster on http://127.0.0.1:8787 (this
            machine only). A remote scheduler has no authentication unless its operator sets
            up TLS (``distributed.comm.tls``); run one only on a network you trust.
        client: An already connected ``distributed.Client`` (tests, notebooks); left open.

    Yields:
        The executor; clusters started here are closed on exit, also after Ctrl-C.

    Raises:
        ValueError: ``workers`` is less than 1.
        SchedulerUnreachable: No scheduler answered at ``scheduler`` within 5 s.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if client is not None:
        yield DaskExecutor(client)
        return
    if workers is None and scheduler is None:
        yield SerialExecutor()
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            remote = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerUnreachable(
                f"no dask scheduler answered at {scheduler} within {CONNECT_TIMEOUT} ({exc})"
            ) from None
        with remote:
            yield DaskExecutor(remote)
        return
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=DASHBOARD if dashboard else None,
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as local:
        yield _cancelling(local)


def _cancelling(client: Any) -> DaskExecutor:
    return DaskExecutor(client)
