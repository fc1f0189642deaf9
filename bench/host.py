"""The host a bench part ran on, and the memory target both parts check."""

import os
import time

TARGET_MEMORY_MB = 512.0  # RecognizeFaces peak resident memory


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
