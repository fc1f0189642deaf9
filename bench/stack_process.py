"""`classroom up` in a child process, as a user runs it, and what /proc tells of it: resident memory, its
worker processes, the object files it holds open. Used by ``bench.upload`` and the upload memory test."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path


def up(folder: Path) -> tuple[subprocess.Popen, str]:
    """``classroom up`` on a free port, run in ``folder`` (its ``.classroom`` there); it and its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stack = subprocess.Popen(  # noqa: S603 (this venv's classroom command)
        [str(Path(sys.executable).parent / "classroom"), "up", "--port", str(port)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert stack.stdout is not None
    for line in stack.stdout:
        if line.startswith("local stack on "):
            return stack, line.split()[3]
    raise RuntimeError(f"classroom up ended ({stack.wait()}) without a URL")


def down(stack: subprocess.Popen) -> None:
    """Stop it as Ctrl-C would (SIGTERM: it stops within a second)."""
    stack.send_signal(signal.SIGTERM)
    stack.wait(timeout=60)


def status_kib(pid: int, field: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``, ``VmHWM``); 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def children(pid: int) -> list[int]:
    """The process's child processes (the worker pools)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def open_file_bytes(pid: int, folder: Path) -> int:
    """Bytes in the files the process holds open under ``folder`` (the stack's objects on disk, unnamed
    files), each file counted once however many descriptors it has open."""
    sizes: dict[tuple[int, int], int] = {}
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(fd).startswith(str(folder)):
                stat = fd.stat()
                sizes[(stat.st_dev, stat.st_ino)] = stat.st_size
        except OSError:
            continue
    return sum(sizes.values())
