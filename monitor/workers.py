"""Worker processes that end with the process that started them.

The ingest and understand stages fork worker processes for their CPU work. A forked worker holds
copies of its parent's open files, the database connection's socket among them: when the parent is
killed (kill -9, the OOM killer), a worker left running keeps that socket open, so PostgreSQL never
sees the session end — a transaction the parent had open stays open, with its locks, for as long as
the worker waits for work that will never come (seen: a re-run blocked on a lock the killed run held,
its orphaned workers still alive minutes later). ``worker_pool`` starts workers that the kernel kills
with their parent (Linux ``PR_SET_PDEATHSIG``); elsewhere they end when their task queue closes.
"""

from __future__ import annotations

import multiprocessing.context
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor

#: prctl(2) option: the signal a process gets when its parent ends.
PR_SET_PDEATHSIG = 1


def worker_pool(workers: int, context: multiprocessing.context.BaseContext) -> ProcessPoolExecutor:
    """``workers`` processes started with ``context``, each ended by the kernel when its parent ends (a
    forkserver's workers end with the forkserver, which ends with this process)."""
    parent = os.getpid() if context.get_start_method() == "fork" else 0
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=end_with_parent, initargs=(parent,)
    )


def end_with_parent(parent: int = 0) -> None:
    """In a worker: ask to be killed when the parent ends; if ``parent`` (its pid, when known) has
    already gone — it died between the fork and this call — end now."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent and os.getppid() != parent:
        os._exit(1)
