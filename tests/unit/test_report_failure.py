"""Failure path: ``errors/<video key>.json`` in the output bucket, whichever step failed."""

import json

import pytest

from tests.unit.conftest import object_created_event, video_bytes

EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:smart-classroom-RecognitionStateMachine:run-1"


@pytest.fixture
def report_failure(load):
    return load("report_failure")


def stored(cloud, key: str) -> dict:
    obj = cloud.s3.get_object(Bucket=cloud["OutputBucketName"], Key=key)
    assert obj["ContentType"] == "application/json"
    return json.loads(obj["Body"].read())


def lambda_cause(error_type: str, message: str) -> str:
    """The Cause Step Functions records for a Lambda that raised: the function's error object as JSON."""
    return json.dumps(
        {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": "5b1f8d2e-8f3a-4a7e-9d5c-2a6f1e0b7c11",
            "stackTrace": ['  File "/var/task/app.py", line 60, in lambda_handler\n'],
        }
    )


def test_failure_in_the_first_step_reports_from_the_raw_event(cloud, report_failure):
    """ExtractFrames failed: the state is still S3's event (URL-encoded key) plus ``failed``."""
    key = "a b/ç/test_0.mp4"
    cloud.s3.put_object(Bucket=cloud["InputBucketName"], Key=key, Body=b"not a video")
    event = object_created_event(cloud.s3, cloud["InputBucketName"], key)
    assert event["detail"]["object"]["key"] == "a+b/%C3%A7/test_0.mp4"
    message = "OpenCV cannot open it as a video (empty, truncated or not an MP4)"
    state = {
        **event,
        "failed": {
            "ExtractFrames": {"Error": "InvalidVideo", "Cause": lambda_cause("InvalidVideo", message)}
        },
    }

    result = report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})

    report_key = "errors/a b/ç/test_0.mp4.json"
    assert result["report_key"] == report_key
    report = stored(cloud, report_key)
    assert report["step"] == "ExtractFrames"
    assert report["error"] == "InvalidVideo"
    assert message in report["cause"]
    assert report["execution"] == EXECUTION
    assert report["video"]["key"] == key
    assert report["video"]["bucket"] == cloud["InputBucketName"]
    assert report["video"]["etag"] == event["detail"]["object"]["etag"]
    # what the state machine's Fail state reads
    assert result["error"] == "InvalidVideo"
    assert message in result["cause"]


def test_failure_in_a_later_step_reports_from_the_video(cloud, report_failure):
    video = {"bucket": cloud["InputBucketName"], "key": "2024/fall/test_7.mp4", "etag": "e", "size": 1}
    state = {
        "video": video,
        "frames": {"bucket": cloud["ArtifactsBucketName"], "keys": []},
        "recognition": {"students": [], "unknown_faces": 0, "frames_used": 0, "faces": 0},
        "failed": {"LookupStudents": {"Error": "StudentTableUnavailable", "Cause": "cannot read table x"}},
    }
    result = report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})
    report = stored(cloud, "errors/2024/fall/test_7.mp4.json")
    assert result["report_key"] == "errors/2024/fall/test_7.mp4.json"
    assert report["step"] == "LookupStudents"
    assert report["error"] == "StudentTableUnavailable"
    assert report["cause"] == "cannot read table x"
    assert report["video"] == video
    assert report["hint"] is None  # a typed error says what to fix by itself
    assert report["execution"] == EXECUTION


def test_a_service_error_without_a_json_cause_is_reported_as_is(cloud, report_failure):
    video = {"bucket": cloud["InputBucketName"], "key": "t.mp4", "etag": "e", "size": 1}
    cause = "Task timed out after 120.00 seconds"
    state = {"video": video, "failed": {"RecognizeFaces": {"Error": "States.Timeout", "Cause": cause}}}
    report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})
    report = stored(cloud, "errors/t.mp4.json")
    assert (report["step"], report["error"], report["cause"]) == ("RecognizeFaces", "States.Timeout", cause)


def test_a_failure_without_error_details_is_still_reported(cloud, report_failure):
    video = {"bucket": cloud["InputBucketName"], "key": "t.mp4", "etag": "e", "size": 1}
    report_failure(
        {
            "state": "ReportFailure",
            "run": {"video": video, "failed": {"WriteCsv": {}}},
            "execution": EXECUTION,
        }
    )
    report = stored(cloud, "errors/t.mp4.json")
    assert report["step"] == "WriteCsv"
    assert report["error"] == "Unknown"
    assert report["cause"] == ""


def test_a_state_that_is_not_an_s3_event_still_gets_a_report(cloud, report_failure):
    """Started by hand with some other input: there is no video key, the report still lands."""
    state = {
        "hello": "world",
        "failed": {"ExtractFrames": {"Error": "ValidationError", "Cause": "bad input"}},
    }
    result = report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})
    assert result["report_key"] == "errors/unknown.json"
    assert stored(cloud, "errors/unknown.json")["error"] == "ValidationError"


def test_the_real_upload_is_not_touched(cloud, report_failure):
    body = video_bytes("test_7.mp4")
    event = cloud.upload("keep/test_7.mp4", body)
    state = {**event, "failed": {"ExtractFrames": {"Error": "VideoTooLarge", "Cause": "too big"}}}
    report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})
    obj = cloud.s3.get_object(Bucket=cloud["InputBucketName"], Key="keep/test_7.mp4")
    assert obj["Body"].read() == body
    assert stored(cloud, "errors/keep/test_7.mp4.json")["step"] == "ExtractFrames"


@pytest.mark.parametrize(
    ("error", "message", "memory"),
    [
        ("Runtime.ExitError", "RequestId: r Error: Runtime exited with error: signal: killed", True),
        ("Runtime.OutOfMemory", "RequestId: r Error: Runtime exited with error: signal: killed", True),
        (
            "Runtime.ExitError",
            "RequestId: r Error: Runtime exited with error: signal: segmentation fault",
            False,
        ),
    ],
)
def test_a_runtime_that_died_twice_gets_a_hint(cloud, report_failure, error, message, memory):
    video = {"bucket": cloud["InputBucketName"], "key": "big/lecture.mp4", "etag": "e", "size": 1}
    state = {
        "video": video,
        "failed": {"RecognizeFaces": {"Error": error, "Cause": lambda_cause(error, message)}},
    }
    report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})
    report = stored(cloud, "errors/big/lecture.mp4.json")
    assert (report["step"], report["error"], report["cause"]) == ("RecognizeFaces", error, message)
    assert ("more memory" in report["hint"]) == memory and "both attempts" in report["hint"]


UNKNOWN = "The cause could not be determined because Lambda did not return an error type. Returned payload: "
REQUEST = "92f6dcea-87c0-4e89-9a9e-294239bffbb9"


@pytest.mark.parametrize(
    ("error", "cause", "message", "advice"),
    [
        (  # AWS's words for a timeout reported as Lambda.Unknown
            "Lambda.Unknown",
            UNKNOWN
            + '{"errorMessage":"2025-03-25T14:59:02.758Z '
            + REQUEST
            + ' Task timed out after 120.11 seconds"}',
            f"2025-03-25T14:59:02.758Z {REQUEST} Task timed out after 120.11 seconds",
            "Timeout",
        ),
        (  # a runtime killed (out of memory), reported as Lambda.Unknown
            "Lambda.Unknown",
            UNKNOWN
            + '{"errorMessage":"RequestId: '
            + REQUEST
            + ' Error: Runtime exited with error: signal: killed"}',
            f"RequestId: {REQUEST} Error: Runtime exited with error: signal: killed",
            "more memory",
        ),
        (  # Lambda.Unknown with nothing to go on
            "Lambda.Unknown",
            UNKNOWN + '{"errorMessage":"something odd"}',
            "something odd",
            "did not say why",
        ),
        (  # the same timeout under its own name
            "Sandbox.Timedout",
            lambda_cause(
                "Sandbox.Timedout", f"RequestId: {REQUEST} Error: Task timed out after 120.00 seconds"
            ),
            f"RequestId: {REQUEST} Error: Task timed out after 120.00 seconds",
            "Timeout",
        ),
    ],
    ids=["unknown-timeout", "unknown-killed", "unknown-other", "sandbox-timedout"],
)
def test_lambda_unknown_is_told_apart_by_its_cause(cloud, report_failure, error, cause, message, advice):
    """AWS reports a timeout and a crash alike as Lambda.Unknown: the cause's text says which, and the
    hint follows it (a timeout is not told it needs memory only, a crash not told it needs time)."""
    video = {"bucket": cloud["InputBucketName"], "key": "u/lecture.mp4", "etag": "e", "size": 1}
    state = {"video": video, "failed": {"RecognizeFaces": {"Error": error, "Cause": cause}}}
    result = report_failure({"state": "ReportFailure", "run": state, "execution": EXECUTION})
    report = stored(cloud, "errors/u/lecture.mp4.json")
    assert (report["error"], report["cause"]) == (error, message) == (result["error"], result["cause"])
    assert advice in report["hint"] and "both attempts" in report["hint"]
    assert ("Timeout" in report["hint"]) == (advice == "Timeout")
