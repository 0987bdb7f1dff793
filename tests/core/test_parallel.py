"""Work computed beside the process: the same result forked or not, and a failed child changes nothing."""

from __future__ import annotations

import os

import pytest

from dantoc.core import parallel


def _square_pids(n: int) -> tuple[list[int], int]:
    return [i * i for i in range(n)], os.getpid()


def test_forked_result_equals_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    task = parallel.beside(lambda: _square_pids(1000))
    assert task.forked == parallel.can_fork()
    values, pid = task.result()
    assert values == [i * i for i in range(1000)]
    if task.forked:
        assert pid != os.getpid()  # computed in the child
    monkeypatch.setenv("DANTOC_NO_FORK", "1")
    inline = parallel.beside(lambda: _square_pids(1000))
    assert not inline.forked
    assert inline.result() == ([i * i for i in range(1000)], os.getpid())


def test_large_result_crosses_the_pipe() -> None:
    data = {i: "x" * 100 for i in range(20_000)}  # megabytes: more than a pipe's buffer
    assert parallel.beside(lambda: dict(data)).result() == data


def test_a_failing_child_falls_back_to_computing_here() -> None:
    parent = os.getpid()

    def fails_in_child() -> str:
        if os.getpid() != parent:
            raise RuntimeError("child only")
        return "computed here"

    assert parallel.beside(fails_in_child).result() == "computed here"


def test_an_exception_in_the_work_reaches_the_caller() -> None:
    def broken() -> None:
        raise ValueError("bad data")

    with pytest.raises(ValueError, match="bad data"):
        parallel.beside(broken).result()


def test_cancel_reaps_the_child() -> None:
    task = parallel.beside(lambda: sum(range(10**8)))
    pid = task._pid
    task.cancel()
    if pid:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # already reaped


def test_done_wraps_a_value() -> None:
    assert parallel.done([1, 2]).result() == [1, 2]


def test_no_fork_while_other_threads_run() -> None:
    import threading

    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not parallel.can_fork()  # a child would inherit the other thread's locks
        task = parallel.beside(lambda: os.getpid())
        assert not task.forked and task.result() == os.getpid()
    finally:
        release.set()
        other.join()


def test_a_failed_fork_computes_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(parallel.os, "fork", no_fork)
    monkeypatch.setattr(parallel, "can_fork", lambda: True)
    task = parallel.beside(lambda: 42)
    assert not task.forked and task.result() == 42
