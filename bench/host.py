"""The host a bench part runs on (as the part starts and around it), and the memory target both check."""

import os
import sys
import time
from typing import NamedTuple

TARGET_MEMORY_MB = 512.0  # RecognizeFaces peak resident memory


class Start(NamedTuple):
    """The host as a bench part starts: its load average, one encoding's time and the clock."""

    load_before: tuple
    encoding_before: dict
    started: float


def start_measuring() -> Start:
    """Sets RecognizeFaces' memory for this process (its threads follow it) and takes the host's start.

    One face encoding's time is printed: the host is shared, so the part's figures are read beside it.
    """
    from bench import encoders
    from devstack.template import Template

    memory_mb = Template().function("RecognizeFacesFunction").memory
    os.environ.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", str(memory_mb))  # RecognizeFaces' threads
    load_before, started = os.getloadavg(), time.perf_counter()
    encoding_before = encoders.encode_ms()
    print(f"one face encoding here now: {encoders.timing_line(encoding_before)}", file=sys.stderr)
    return Start(load_before, encoding_before, started)


def machine(load_before: tuple, encoding_before: dict, encoding_after: dict, started: float) -> dict:
    """The host around a run: cores, load average and one encoding's time before and after."""
    return {
        "cpus": os.cpu_count(),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "encoding_before": encoding_before,
        "encoding_after": encoding_after,
        "bench_seconds": time.perf_counter() - started,
    }


def memory_target(what: str, peak_mb: float | None) -> dict:
    """The memory target's line: ``peak_mb`` (VmHWM, MiB) under TARGET_MEMORY_MB."""
    return {
        "target": f"{what} < {TARGET_MEMORY_MB:.0f} MB",
        "value": f"{peak_mb:.0f} MiB" if peak_mb is not None else "unknown",
        "passed": peak_mb is not None and peak_mb < TARGET_MEMORY_MB,
    }
