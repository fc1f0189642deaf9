"""The whole workflow through the local stack: upload → EventBridge → Step Functions → CSV."""

import csv
import io
import json
import subprocess
import sys

import pytest

from devstack import runs
from tests.conftest import EXPECTED, ROOT, SAMPLES

pytestmark = pytest.mark.stack


def read_csv(stack, key: str) -> list[dict]:
    body = stack.deployment.client("s3").get_object(Bucket=stack.deployment["OutputBucketName"], Key=key)
    return list(csv.DictReader(io.StringIO(body["Body"].read().decode())))


def test_every_sample_clip_gives_the_course_result(stack):
    uploads = [runs.upload(stack.deployment, SAMPLES / "videos" / name) for name in EXPECTED]
    outcomes = runs.wait(stack.deployment, uploads, timeout=300)
    for upload, result in zip(uploads, outcomes, strict=True):
        name, major, year = EXPECTED[upload.key]
        assert result.status == "SUCCEEDED", result
        assert result.output_key == upload.key.replace(".mp4", ".csv")
        assert read_csv(stack, result.output_key) == [{"name": name, "major": major, "year": year}]
        assert result.students == [{"name": name, "major": major, "year": year}]
        assert result.unknown_faces == 0


def test_output_key_keeps_prefixes(stack):
    upload = runs.upload(
        stack.deployment, SAMPLES / "videos" / "test_7.mp4", key="2024/fall/cs546/test_7.mp4"
    )
    (result,) = runs.wait(stack.deployment, [upload], timeout=120)
    assert result.status == "SUCCEEDED"
    assert result.output_key == "2024/fall/cs546/test_7.csv"
    assert read_csv(stack, result.output_key)[0]["name"] == "morgan_freeman"


def test_only_the_input_bucket_starts_executions(stack):
    """Writing to the output and artifacts buckets (as every run does) must not start a run."""
    d = stack.deployment
    sfn = d.client("stepfunctions")
    before = len(sfn.list_executions(stateMachineArn=d["StateMachineArn"])["executions"])
    s3 = d.client("s3")
    for bucket in ("OutputBucketName", "ArtifactsBucketName", "KnownFacesBucketName"):
        s3.put_object(Bucket=d[bucket], Key="probe.mp4", Body=b"not a trigger")
    after = len(sfn.list_executions(stateMachineArn=d["StateMachineArn"])["executions"])
    assert after == before


def test_classroom_run_json_cli(tmp_path):
    """`classroom run --json` in its own process: one JSON object per line, exit status 0."""
    videos = [str(SAMPLES / "videos" / name) for name in ("test_0.mp4", "test_8.mp4")]
    proc = subprocess.run(
        [sys.executable, "-m", "devstack.cli", "run", "--json", "--out", str(tmp_path), *videos],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["SUCCEEDED", "SUCCEEDED"]
    assert [line["students"][0]["name"] for line in lines] == ["president_trump", "president_obama"]
    assert set(lines[0]) == {
        "video",
        "status",
        "students",
        "missing",
        "unknown_faces",
        "error",
        "output_key",
        "seconds",
        "attendance",
    }
    assert lines[0]["missing"] == []  # everyone recognized has a student record
    assert lines[0]["attendance"]["students"][0]["name"] == "president_trump"
    assert (tmp_path / "test_0.attendance.json").exists()
    assert (tmp_path / "test_0.csv").read_text() == "name,major,year\npresident_trump,physics,junior\n"
