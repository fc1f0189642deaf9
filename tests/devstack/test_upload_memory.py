"""A lecture-sized upload does not grow the local stack's memory by its size (``devstack.object_files``).

`classroom up` runs in a process of its own, as a user runs it; its peak resident memory (VmHWM, reset
just before) is read from /proc while a generated 200 MB video is uploaded with boto3's ``upload_file``
(multipart, 10 parts at a time: what the AWS CLI does too) and processed. Without the seam moto held
about 2.5x the file at the end of the upload. The object is a file in the stack's own folder, which is
gone once the stack stops. Memory is bounded here, not timed: figures are in docs/benchmarks.md.
"""

import struct
import time
from pathlib import Path

import pytest

from bench.proc import reset_peak
from bench.stack_process import down, open_file_bytes, status_kib, up
from devstack import runs
from devstack.deployment import Deployment
from tests.conftest import EXPECTED, SAMPLES

pytestmark = pytest.mark.stack
MB = 1000 * 1000


def write_padded_clip(path: Path, size: int) -> Path:
    """test_1.mp4 with a top-level ``free`` box appended (the same video, ``size`` bytes), written in
    pieces so the test itself holds no copy."""
    clip = (SAMPLES / "videos" / "test_1.mp4").read_bytes()
    pad = size - len(clip)
    with path.open("wb") as out:
        out.write(clip + struct.pack(">I4s", pad, b"free"))
        left, zeros = pad - 8, bytes(8 * 1024 * 1024)
        while left:
            left -= out.write(zeros[: min(left, len(zeros))])
    return path


def test_a_200_mb_upload_grows_the_stacks_memory_by_a_fraction_of_it(tmp_path):
    video = write_padded_clip(tmp_path / "lecture.mp4", 200 * MB)
    stack, endpoint = up(tmp_path)
    try:
        deployment = Deployment.local(endpoint)
        s3, bucket = deployment.client("s3"), deployment["InputBucketName"]
        before = status_kib(stack.pid, "VmRSS")
        reset_peak(stack.pid)
        at = time.time()
        s3.upload_file(str(video), bucket, video.name)
        stored = open_file_bytes(stack.pid, tmp_path / ".classroom")
        head = s3.head_object(Bucket=bucket, Key=video.name)
        upload = runs.Upload(str(video), video.name, head["ETag"].strip('"'), head.get("VersionId"), at)
        (outcome,) = runs.wait(deployment, [upload], timeout=300)
        growth = (status_kib(stack.pid, "VmHWM") - before) * 1024
    finally:
        down(stack)
        video.unlink()
    assert outcome.status == "SUCCEEDED", outcome.error
    assert [s["name"] for s in outcome.students] == [EXPECTED["test_1.mp4"][0]]
    assert growth < 200 * MB / 4, f"the stack grew by {growth / MB:.0f} MB for a 200 MB upload"
    assert stored >= 200 * MB, "the object is a file in the stack's own folder"
    assert not list((tmp_path / ".classroom").glob("objects*")), "its folder is removed when it stops"
