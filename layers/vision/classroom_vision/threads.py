"""OpenCV's thread count, which is the whole process's (the detector's and the encoder's alike)."""

import os
from functools import cache

import cv2

MB_PER_VCPU = 1769  # Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB


def vcpus() -> int:
    """Whole vCPUs this process has: on Lambda, from the function's memory (a function below 1,769 MB
    has a share of one, whatever the number of cores it sees); elsewhere, the machine's cores."""
    memory = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    if memory:
        return max(1, int(memory) // MB_PER_VCPU)
    return os.cpu_count() or 1


@cache
def use_vcpus() -> None:
    """One OpenCV thread unless there is more than one vCPU to run more on (on a share of one, more
    threads only add switching). Called by every module that runs OpenCV's networks."""
    cv2.setNumThreads(vcpus())
