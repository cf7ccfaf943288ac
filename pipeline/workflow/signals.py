"""`kill <pid>` must stop a run: Snakemake's SIGTERM handler, moved off the main thread.

SIGTERM asks Snakemake to finish the running jobs and start no new ones. Its handler
(Snakemake 9.27, `exit_gracefully`) takes the scheduler's non-reentrant lock, and Python runs
signal handlers on the main thread, which holds that lock whenever a job has just finished or
jobs are being picked: a SIGTERM in that window left Snakemake waiting for itself, for good
(no job left, a defunct `cbc` child, no exit). The relay keeps Snakemake's handler but runs it
on a thread of its own, which waits for the lock like any other; the signal only wakes that
thread, through a pipe (a write takes no lock). The Snakefile calls it from `onstart:`.

Upstream: snakemake/scheduling/job_scheduler.py, `JobScheduler.exit_gracefully` (`with self._lock`,
a threading.Lock) installed by `signal.signal(signal.SIGTERM, ...)` in `JobScheduler.__init__`. We
found no report of it in Snakemake's tracker (searched December 2026); tests/test_signals.py is the
report: it runs that very handler on the installed Snakemake with the main thread inside the lock,
and shows the hang without this relay and the graceful stop with it. When that test says Snakemake
no longer hangs, this module goes.
"""

from __future__ import annotations

import os
import signal
import threading


def sigterm_off_the_main_thread() -> None:
    handler = signal.getsignal(signal.SIGTERM)  # installed by Snakemake's scheduler, before onstart
    if not callable(handler):
        return
    read_end, write_end = os.pipe()

    def relay():
        while os.read(read_end, 1):
            handler(signal.SIGTERM, None)

    threading.Thread(target=relay, name="sigterm-relay", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda signum, frame: os.write(write_end, b"T"))
