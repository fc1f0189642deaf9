"""`classroom invoke`: every event in events/ runs its handler on the local stack, with the right result."""

import csv
import hashlib
import io
import json
import subprocess
import sys

import pytest

from classroom_common.models import Video
from devstack import cli, invoke, s3_events
from devstack.template import Template
from tests.conftest import ROOT, SAMPLES

pytestmark = pytest.mark.stack

EVENTS = ROOT / "events"
SAMPLE = SAMPLES / "videos" / "test_0.mp4"
FUNCTIONS = Template().functions()
OUTPUTS = Template().outputs()
CSV_REPORT = {
    "bucket": OUTPUTS["OutputBucketName"],
    "key": "test_0.csv",
    "rows": 1,
    "attendance_key": "test_0.attendance.json",
}


def event(name: str) -> dict:
    return invoke.read_event(EVENTS / f"{name}.json")


def close(a, b) -> bool:
    """Equal JSON, floats (frame rate, face distance) to 1e-3."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        return a == pytest.approx(b, abs=1e-3)
    return a == b


@pytest.fixture(scope="module")
def staged(stack):
    """test_0.mp4 uploaded as the events name it (same version id), and its run finished."""
    notes: list[str] = []
    outcome = invoke.stage(stack.deployment, event("object_created"), timeout=120, say=notes.append)
    assert outcome is not None, notes
    assert not any(note.startswith("warning") for note in notes), notes
    return outcome


@pytest.fixture(scope="module")
def pools(stack):
    """Each function's own worker, as `classroom invoke` runs it (idempotency off: the work is done)."""
    opened = {spec.short_name: invoke.pool_for(spec, stack.endpoint) for spec in FUNCTIONS.values()}
    yield opened
    for pool in opened.values():
        pool.close()


def run(pools, file: str, function: str | None = None):
    return pools[invoke.function(function or file).short_name].invoke(event(file))


# MergeSegments reads a lecture's segment results from the artifacts bucket: the sample is a clip.
NO_SAMPLE_EVENT = {"merge_segments"}


def test_one_event_per_function_and_the_s3_event():
    names = {path.stem for path in EVENTS.glob("*.json")}
    assert names == {"object_created"} | {spec.short_name for spec in FUNCTIONS.values()} - NO_SAMPLE_EVENT
    for spec in FUNCTIONS.values():
        assert invoke.default_event(spec).is_file() != (spec.short_name in NO_SAMPLE_EVENT)
        assert invoke.function(spec.logical_id) == invoke.function(spec.short_name) == spec
    assert event("extract_frames") == {"state": "ExtractFrames", "upload": event("object_created")}


def test_object_created_is_what_s3_sends_for_the_sample(staged, stack):
    sent = event("object_created")
    s3 = stack.deployment.client("s3")
    head = s3.head_object(Bucket=OUTPUTS["InputBucketName"], Key="test_0.mp4")
    assert head["VersionId"] == sent["detail"]["object"]["version-id"]
    obj = sent["detail"]["object"]
    assert obj["etag"] == hashlib.md5(SAMPLE.read_bytes()).hexdigest() == head["ETag"].strip('"')
    assert obj["size"] == SAMPLE.stat().st_size
    shape = s3_events.s3_event(
        OUTPUTS["InputBucketName"], "test_0.mp4", obj["size"], head["ETag"], head["VersionId"]
    )
    assert sent.keys() == shape.keys() and sent["detail"].keys() == shape["detail"].keys()
    assert obj.keys() == shape["detail"]["object"].keys()
    assert sent["detail"]["reason"] == "PutObject"  # the S3 API that created it, as S3 names it
    assert Video.from_event(sent).model_dump() == event("recognize_faces")["batch"]["video"]


def test_extract_frames_gives_the_recognize_faces_event(staged, stack, pools):
    result = run(pools, "extract_frames")
    assert not result.errored, result.payload
    assert close(json.loads(result.payload), event("recognize_faces")["batch"])
    s3 = stack.deployment.client("s3")
    for key in event("recognize_faces")["batch"]["frames"]["keys"]:
        assert s3.head_object(Bucket=OUTPUTS["ArtifactsBucketName"], Key=key)["ContentLength"] > 0


def test_recognize_faces_names_president_trump(staged, stack, pools):
    result = run(pools, "recognize_faces")
    assert not result.errored, result.payload
    recognized = json.loads(result.payload)
    assert recognized["carry"] is None  # two frames agreed: settled
    assert [m["name"] for m in recognized["recognition"]["students"]] == ["president_trump"]
    assert close(recognized["recognition"], event("lookup_students")["recognition"])


def test_lookup_students_gives_the_write_csv_lookup(staged, stack, pools):
    result = run(pools, "lookup_students")
    assert not result.errored, result.payload
    assert json.loads(result.payload) == event("write_csv")["lookup"]


def test_record_attendance_records_nothing_for_an_upload_outside_any_course(staged, stack, pools):
    result = run(pools, "record_attendance")
    assert not result.errored, result.payload
    assert json.loads(result.payload) == {
        "course": None,
        "session": None,
        "register_key": None,
        "attendance_key": None,
        "absent": [],
        "visitors": [],
    }


def test_write_csv_writes_test_0_csv(staged, stack, pools):
    result = run(pools, "write_csv")
    assert not result.errored, result.payload
    assert json.loads(result.payload) == CSV_REPORT
    attendance = stack.deployment.client("s3").get_object(
        Bucket=OUTPUTS["OutputBucketName"], Key="test_0.attendance.json"
    )
    assert json.loads(attendance["Body"].read())["students"][0]["first_seen"] == pytest.approx(
        0.167, abs=1e-3
    )
    body = stack.deployment.client("s3").get_object(Bucket=OUTPUTS["OutputBucketName"], Key="test_0.csv")
    rows = list(csv.DictReader(io.StringIO(body["Body"].read().decode())))
    assert rows == [{"name": "president_trump", "major": "physics", "year": "junior"}]


def test_report_failure_writes_the_error_report(staged, stack, pools):
    result = run(pools, "report_failure")
    assert not result.errored, result.payload
    report = json.loads(result.payload)
    assert (report["step"], report["error"]) == ("RecognizeFaces", "KnownFacesUnavailable")
    assert report["report_key"] == "errors/test_0.mp4.json"
    assert report["execution"] == event("report_failure")["execution"]
    body = stack.deployment.client("s3").get_object(
        Bucket=OUTPUTS["OutputBucketName"], Key=report["report_key"]
    )
    assert json.loads(body["Body"].read())["video"]["key"] == "test_0.mp4"


def test_cli_against_a_running_stack(staged, stack, capsys, tmp_path):
    """`classroom invoke --endpoint`: its own worker, result on stdout, logs on stderr, exit 1 on error."""
    assert cli.main(["invoke", "LookupStudentsFunction", "--endpoint", stack.endpoint]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == event("write_csv")["lookup"]
    assert "invoking LookupStudentsFunction" in err and "REPORT LookupStudentsFunction" in err

    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert cli.main(["invoke", "lookup_students", "-e", str(bad), "--endpoint", stack.endpoint]) == 1
    out, err = capsys.readouterr()
    assert json.loads(out)["errorType"] == "ValidationError"  # parsed at the door
    assert "Traceback (most recent call last)" in err  # the function's logs
    assert (
        "LookupStudentsFunction failed: ValidationError: 2 validation errors for LookupStudentsInput" in err
    )
    assert "recognition\n  Field required" in err  # which field is missing, by name

    assert cli.main(["invoke", "NoSuchFunction"]) == 2
    assert "one of: ExtractFramesFunction" in capsys.readouterr().err


def test_classroom_invoke_cli_end_to_end():
    """`python -m devstack.cli invoke WriteCsvFunction`: a new stack, the sample's run, then the handler."""
    proc = subprocess.run(
        [sys.executable, "-m", "devstack.cli", "invoke", "WriteCsvFunction"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == CSV_REPORT
    assert "uploaded test_0.mp4" in proc.stderr and "SUCCEEDED" in proc.stderr
    assert "warning" not in proc.stderr
    assert "report written" in proc.stderr  # the handler's own log line
