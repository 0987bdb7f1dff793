"""CPU-bound work run beside the current process while it goes on with its own (database writes).

`beside(fn)` forks a child that computes `fn()` and sends the pickled result back through a pipe; the
parent carries on and later calls `.result()`. The child never touches the database or any shared
resource: `fn` must be a pure computation over data already in memory (copied on write by the fork).
Where forking is unsafe or pointless — no `os.fork`, one CPU, other threads running (a forked child
would inherit their locks), or `DANTOC_NO_FORK` set — and whenever the child fails, `fn()` runs in the
caller instead, so the result never depends on how it was computed.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable


def can_fork() -> bool:
    return (
        hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
        and not os.environ.get("DANTOC_NO_FORK")
    )


class Beside[T]:
    """The pending result of `fn()` (see the module docstring)."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._pid = 0
        self._fd = -1
        self._done = False
        self._value: T | None = None
        if not can_fork():
            return
        read, write = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no process to spare (limits, memory): computed in place by `result()`
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # the child: compute, send, leave without running any of the parent's clean-up
            code = 1
            try:
                gc.disable()  # no collection of the parent's garbage here (finalisers of its connections)
                os.close(read)
                data = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self._pid, self._fd = pid, read

    @property
    def forked(self) -> bool:
        return self._pid != 0

    def result(self) -> T:
        if self._done:
            return self._value  # type: ignore[return-value]
        value: T
        if self._pid:
            with os.fdopen(self._fd, "rb") as pipe:
                data = pipe.read()
            _pid, status = os.waitpid(self._pid, 0)
            self._pid = 0
            ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 and data
            value = pickle.loads(data) if ok else self._fn()  # noqa: S301 (our own child's bytes)
        else:
            value = self._fn()
        self._done, self._value = True, value
        return value

    def cancel(self) -> None:
        """Stop the child when its result is no longer wanted (an import that failed)."""
        if self._pid:
            pid, self._pid = self._pid, 0
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.close(self._fd)
            os.waitpid(pid, 0)
        self._done = True

    def __del__(self) -> None:
        if self._pid:
            self.cancel()


def beside[T](fn: Callable[[], T]) -> Beside[T]:
    return Beside(fn)


def done[T](value: T) -> Beside[T]:
    """A result already computed, with the same interface."""
    task: Beside[T] = Beside.__new__(Beside)
    task._fn, task._pid, task._fd, task._done, task._value = (lambda: value), 0, -1, True, value
    return task
