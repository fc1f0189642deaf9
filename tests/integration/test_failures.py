"""Bad input, odd keys, duplicate delivery and re-uploads, through the local stack.

Every upload ends in exactly one outcome a person can find: a CSV, or a FAILED execution
with a clear Error and Cause plus ``errors/<video key>.json``. The upload is never changed.
"""

import json
import uuid

import numpy as np
import pytest

from classroom_common import keys
from devstack import history, runs
from synthetic.clips import blank, write_clip
from tests.conftest import MAX_VIDEO_BYTES, SAMPLES
from tests.integration.conftest import assert_untouched

pytestmark = pytest.mark.stack
SAMPLE = (SAMPLES / "videos" / "test_0.mp4").read_bytes()


def put(stack, key: str, body: bytes) -> runs.Upload:
    d = stack.deployment
    response = d.client("s3").put_object(Bucket=d["InputBucketName"], Key=key, Body=body)
    return runs.Upload(key, key, response["ETag"].strip('"'))


def error_report(stack, key: str) -> dict:
    d = stack.deployment
    body = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key=keys.error_report_key(key))["Body"]
    return json.loads(body.read())


def clip_bytes(tmp_path, name: str, frames, fps: float = 10.0) -> bytes:
    return write_clip(tmp_path / name, frames, fps).read_bytes()


def test_bad_uploads_fail_clearly_and_good_ones_still_succeed(stack, tmp_path):
    cases = {
        "bad/empty.mp4": (b"", "InvalidVideo"),
        "bad/notes.mp4": (b"these are my lecture notes, not a video\n" * 20, "InvalidVideo"),
        "bad/truncated.mp4": (SAMPLE[: len(SAMPLE) // 3], "InvalidVideo"),
        "bad/huge.mp4": (np.random.default_rng(0).bytes(MAX_VIDEO_BYTES + 1), "VideoTooLarge"),
        "bad/over-8k.mp4": (clip_bytes(tmp_path, "over-8k.mp4", blank(8160, 4320, 2)), "VideoTooLarge"),
        "bad/long.mp4": (
            clip_bytes(tmp_path, "long.mp4", blank(16, 16, 3 * 3600 + 10), fps=1.0),
            "VideoTooLarge",
        ),
    }
    uploads = [put(stack, key, body) for key, (body, _) in cases.items()]
    good = [
        runs.upload(stack.deployment, SAMPLES / "videos" / n, key=f"good/{n}")
        for n in ("test_2.mp4", "test_5.mp4")
    ]
    outcomes = runs.wait(stack.deployment, uploads + good, timeout=300)

    for upload, result in zip(uploads, outcomes, strict=False):
        body, error = cases[upload.key]
        assert result.status == "FAILED", result
        assert result.error["error"] == error, result
        assert result.error["cause"], "the Cause says what is wrong"
        report = error_report(stack, upload.key)
        assert report["step"] == "ExtractFrames"
        assert report["error"] == error and report["cause"] == result.error["cause"]
        assert report["execution"] == result.arn
        assert report["video"]["key"] == upload.key
        assert_untouched(stack, upload.key, body)
    assert [r.status for r in outcomes[len(uploads) :]] == ["SUCCEEDED", "SUCCEEDED"]
    causes = {u.key: r.error["cause"] for u, r in zip(uploads, outcomes, strict=False)}
    assert "bytes is above the limit" in causes["bad/huge.mp4"]
    assert "pixels per frame" in causes["bad/over-8k.mp4"]
    assert "s is above the limit" in causes["bad/long.mp4"]


def test_odd_keys_work_end_to_end(stack):
    odd = ["class 1/test 0.mp4", "c++/a+b=c.mp4", "élèves/ünï çödé/测试.mp4", "a/b/c/d/e/test_0.mp4"]
    uploads = [runs.upload(stack.deployment, SAMPLES / "videos" / "test_0.mp4", key=k) for k in odd]
    outcomes = runs.wait(stack.deployment, uploads, timeout=300)
    s3 = stack.deployment.client("s3")
    for key, result in zip(odd, outcomes, strict=True):
        assert result.status == "SUCCEEDED", result
        assert result.output_key == key[: -len(".mp4")] + ".csv"
        body = s3.get_object(Bucket=stack.deployment["OutputBucketName"], Key=result.output_key)[
            "Body"
        ].read()
        assert body.decode() == "name,major,year\npresident_trump,physics,junior\n"


def test_known_faces_missing_fails_clearly(stack):
    d = stack.deployment
    s3 = d.client("s3")
    bucket, key = d["KnownFacesBucketName"], d["KnownFacesKey"]
    saved = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    s3.delete_object(Bucket=bucket, Key=key)
    try:
        upload = runs.upload(d, SAMPLES / "videos" / "test_4.mp4", key="nofaces/test_4.mp4")
        (result,) = runs.wait(d, [upload], timeout=120)
    finally:
        s3.put_object(Bucket=bucket, Key=key, Body=saved)
    assert result.status == "FAILED"
    assert result.error["error"] == "KnownFacesUnavailable"
    assert error_report(stack, upload.key)["step"] == "RecognizeFaces"


def test_duplicate_delivery_does_the_work_once(stack):
    """EventBridge delivers at least once: the same event twice gives one result, no work redone."""
    d = stack.deployment
    sfn, s3 = d.client("stepfunctions"), d.client("s3")
    upload = runs.upload(d, SAMPLES / "videos" / "test_6.mp4", key="dup/test_6.mp4")
    (first,) = runs.wait(d, [upload], timeout=120)
    event = sfn.describe_execution(executionArn=first.arn)["input"]
    csv_before = s3.head_object(Bucket=d["OutputBucketName"], Key="dup/test_6.csv")
    recognize = stack.pool("RecognizeFacesFunction")
    calls_before = recognize.invocations

    second = sfn.start_execution(stateMachineArn=d["StateMachineArn"], name=str(uuid.uuid4()), input=event)[
        "executionArn"
    ]
    runs_for_key = [r for r in runs.wait(d, [upload], timeout=120)]
    while sfn.describe_execution(executionArn=second)["status"] == "RUNNING":
        pass
    assert sfn.describe_execution(executionArn=second)["status"] == "SUCCEEDED"
    output = json.loads(sfn.describe_execution(executionArn=second)["output"])
    assert output["lookup"]["students"] == first.students == runs_for_key[0].students
    csv_after = s3.head_object(Bucket=d["OutputBucketName"], Key="dup/test_6.csv")
    assert csv_after["ETag"] == csv_before["ETag"] and csv_after["LastModified"] == csv_before["LastModified"]
    assert recognize.invocations == calls_before + 1  # invoked, but answered from the idempotency table
    history = sfn.get_execution_history(executionArn=second)["events"]
    assert not [e for e in history if e["type"] == "LambdaFunctionFailed"]


def test_concurrent_duplicates_both_succeed(stack):
    d = stack.deployment
    sfn = d.client("stepfunctions")
    upload = runs.upload(d, SAMPLES / "videos" / "test_7.mp4", key="dup2/test_7.mp4")
    event = None
    while event is None:  # deliver the run's event again while the first delivery is still running
        for e in sfn.list_executions(stateMachineArn=d["StateMachineArn"])["executions"]:
            execution_input = sfn.describe_execution(executionArn=e["executionArn"])["input"]
            if "dup2/test_7.mp4" in execution_input:
                event = execution_input
    extra = sfn.start_execution(stateMachineArn=d["StateMachineArn"], name=str(uuid.uuid4()), input=event)[
        "executionArn"
    ]
    (result,) = runs.wait(d, [upload], timeout=120)
    while sfn.describe_execution(executionArn=extra)["status"] == "RUNNING":
        pass
    for arn in (result.arn, extra):
        steps, end = history.history(d, arn)
        assert end["status"] == "SUCCEEDED", history.render(steps, end)


def test_reupload_to_the_same_key_is_processed_again(stack):
    d = stack.deployment
    first = runs.upload(d, SAMPLES / "videos" / "test_0.mp4", key="reup/clip.mp4")
    (one,) = runs.wait(d, [first], timeout=120)
    second = runs.upload(d, SAMPLES / "videos" / "test_8.mp4", key="reup/clip.mp4")
    (two,) = runs.wait(d, [second], timeout=120)
    assert one.students[0]["name"] == "president_trump"
    assert two.students[0]["name"] == "president_obama"
    body = d.client("s3").get_object(Bucket=d["OutputBucketName"], Key="reup/clip.csv")["Body"].read()
    assert b"president_obama" in body and b"president_trump" not in body


def test_the_same_bytes_uploaded_again_are_a_new_run(stack):
    """A new upload of identical bytes (same ETag, new version) is its own run, and `runs.wait`
    reports that run, not the earlier one."""
    d = stack.deployment
    first = runs.upload(d, SAMPLES / "videos" / "test_4.mp4", key="again/clip.mp4")
    (one,) = runs.wait(d, [first], timeout=120)
    second = runs.upload(d, SAMPLES / "videos" / "test_4.mp4", key="again/clip.mp4")
    (two,) = runs.wait(d, [second], timeout=120)
    assert first.etag == second.etag and first.version_id != second.version_id
    assert one.arn != two.arn
    assert one.status == two.status == "SUCCEEDED"
