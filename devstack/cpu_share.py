"""Run a worker at the CPU share Lambda gives its function: Lambda allots CPU in proportion to
``MemorySize``, one vCPU at 1,769 MB (0.58 at 1,024 MB), and holds the sandbox to it with a CPU quota
over all its threads. The local stack's workers otherwise get whole host cores.

``held_to(pid, share)`` does what the quota does, for one process and no privileges: a thread of the
stack reads the process's CPU clock (all its threads) every few milliseconds and, once it has used more
than ``share`` CPU-seconds per second of wall time (a budget that refills at ``share`` and holds at most
one ``period`` of it), stops it (SIGSTOP) until the budget is back, then continues it (SIGCONT). Over any
stretch longer than a period the process gets at most ``share`` of one host core; within one, a burst of
``share × period`` (as the kernel's quota allows a period's worth).

The share is of *this host's* core: how fast the host is against Lambda's Graviton is not modelled (the
bench reports each figure with the host's own speed).
"""

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

MB_PER_VCPU = 1769  # Lambda: one vCPU's worth of CPU at 1,769 MB, in proportion below and above
PERIOD = 0.05  # seconds: the most the budget holds, as a quota's period
TICK = 0.002  # seconds between two readings of the process's CPU clock


def lambda_share(memory_mb: int) -> float:
    """The vCPUs Lambda gives a function of ``memory_mb`` (0.58 at 1,024 MB; 1 at 1,769 MB)."""
    return memory_mb / MB_PER_VCPU


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by every thread of process ``pid`` (Linux's process CPU clock)."""
    return time.clock_gettime(((~pid) << 3) | 2)  # MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)


class _Governor(threading.Thread):
    """Stops and continues one process so it stays within its share (see the module's docstring)."""

    def __init__(self, pid: int, share: float, period: float, tick: float) -> None:
        super().__init__(daemon=True, name=f"cpu-share-{pid}")
        self.pid, self.share, self.period, self.tick = pid, share, period, tick
        self.done = threading.Event()
        self.stopped_seconds = 0.0  # how long the process was held in all

    def run(self) -> None:
        try:
            self._govern()
        except (ProcessLookupError, OSError):  # the process ended (or was killed for a timeout)
            pass
        finally:
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(self.pid, signal.SIGCONT)

    def _govern(self) -> None:
        wall, used, budget = time.monotonic(), cpu_seconds(self.pid), 0.0
        while not self.done.wait(self.tick):
            now, cpu = time.monotonic(), cpu_seconds(self.pid)
            budget = min(budget + self.share * (now - wall) - (cpu - used), self.share * self.period)
            wall, used = now, cpu
            if budget < 0:  # over its share: hold it until the budget is back to zero
                os.kill(self.pid, signal.SIGSTOP)
                held = -budget / self.share
                self.done.wait(held)
                os.kill(self.pid, signal.SIGCONT)
                self.stopped_seconds += held


@contextlib.contextmanager
def held_to(pid: int, share: float | None, period: float = PERIOD, tick: float = TICK) -> Iterator[None]:
    """While in the block, hold process ``pid`` to ``share`` of one CPU (``None``: no limit)."""
    if share is None:
        yield
        return
    governor = _Governor(pid, share, period, tick)
    governor.start()
    try:
        yield
    finally:
        governor.done.set()
        governor.join()
