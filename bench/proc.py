"""What Linux's /proc tells of a process: its peak resident memory (and a reset of it), its CPU time."""

import os
from pathlib import Path


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident set size of a process (VmHWM), in MiB; None if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak(pid: int) -> None:
    """Start the process's VmHWM again from its current resident size (clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
