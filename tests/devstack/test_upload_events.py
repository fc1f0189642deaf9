"""One upload, one run: every S3 call that creates an object starts exactly one execution.

S3 sends one ``Object Created`` event per object created, whose ``reason`` names the call
(``PutObject``, ``CompleteMultipartUpload``, ``CopyObject``, ``PostObject``). The uploads here go
through boto3 as a user's would — ``upload_file`` switches to multipart above its threshold, as the
AWS CLI does above 8 MB for every lecture-sized video.
"""

import json
import struct
import time
import urllib.request
import uuid

import pytest
from boto3.s3.transfer import TransferConfig

from devstack import runs
from tests.conftest import SAMPLES

pytestmark = pytest.mark.stack
MIB = 1024 * 1024


def padded_clip(size: int) -> bytes:
    """test_1.mp4 with a top-level ``free`` box appended: the same video, ``size`` bytes long."""
    body = (SAMPLES / "videos" / "test_1.mp4").read_bytes()
    pad = size - len(body)
    return body + struct.pack(">I4s", pad, b"free") + bytes(pad - 8)


def executions_for(stack, key: str) -> list[dict]:
    """Every execution whose S3 event names ``key``, with that event's detail."""
    d = stack.deployment
    sfn = d.client("stepfunctions")
    found = []
    for item in runs.executions(d):
        described = sfn.describe_execution(executionArn=item["executionArn"])
        who = runs.identity(described["input"])
        if who and who[0] == key:
            found.append({**described, "detail": json.loads(described["input"])["detail"]})
    return found


def settled(stack, key: str, seconds: float = 3.0) -> list[dict]:
    """The executions for ``key`` once they are finished and no more have appeared for a while."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        found = executions_for(stack, key)
        if found and all(e["status"] != "RUNNING" for e in found):
            time.sleep(seconds)  # a second event would have started its run by now
            again = executions_for(stack, key)
            if len(again) == len(found) and all(e["status"] != "RUNNING" for e in again):
                return again
        time.sleep(0.5)
    raise TimeoutError(f"the executions for {key} did not finish")


def test_each_way_of_creating_an_object_starts_one_execution(stack, tmp_path):
    d = stack.deployment
    s3, bucket = d.client("s3"), d["InputBucketName"]
    tag = uuid.uuid4().hex[:8]
    big = tmp_path / "lecture.mp4"
    big.write_bytes(padded_clip(6 * MIB))
    small = (SAMPLES / "videos" / "test_7.mp4").read_bytes()

    multipart_key = f"events-{tag}/multipart.mp4"
    s3.upload_file(
        str(big), bucket, multipart_key, Config=TransferConfig(multipart_threshold=5 * MIB, use_threads=False)
    )
    put_key = f"events-{tag}/put.mp4"
    s3.put_object(Bucket=bucket, Key=put_key, Body=small)
    copy_key = f"events-{tag}/copy.mp4"
    s3.copy_object(Bucket=bucket, Key=copy_key, CopySource={"Bucket": bucket, "Key": put_key})
    post_key = f"events-{tag}/post.mp4"
    form = s3.generate_presigned_post(bucket, post_key)
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in form["fields"].items()
    ]
    body = (
        b"".join(parts)
        + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="post.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n".encode()
        + small
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        form["url"], data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status in (200, 201, 204)

    expected = {
        multipart_key: ("CompleteMultipartUpload", "president_biden"),
        put_key: ("PutObject", "morgan_freeman"),
        copy_key: ("CopyObject", "morgan_freeman"),
        post_key: ("PostObject", "morgan_freeman"),
    }
    for key, (reason, student) in expected.items():
        found = settled(stack, key)
        assert len(found) == 1, (key, [e["detail"]["reason"] for e in found])
        (execution,) = found
        assert execution["detail"]["reason"] == reason
        assert execution["status"] == "SUCCEEDED", execution.get("cause")
        output = json.loads(execution["output"])
        assert [s["name"] for s in output["lookup"]["students"]] == [student]
        head = s3.head_object(Bucket=bucket, Key=key)
        assert execution["detail"]["object"]["etag"] == head["ETag"].strip('"')
