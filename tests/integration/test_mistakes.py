"""Every `classroom` command's likely mistakes end it with one line on stderr that says what to do, and
exit status 2, before any stack is started for nothing: a missing file, a wrong endpoint (nothing there,
or not a local stack), an unknown execution, a stack that is not up, a command that needs a stack."""

import http.server
import json
import socket
import threading
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from devstack import cli, mistakes
from tests.conftest import ROOT, SAMPLES

CLASS = ROOT / "data" / "your-class"


@pytest.fixture(scope="module")
def nothing_there() -> str:
    """A loopback URL where nothing listens (a `classroom up` that is not running, or a wrong port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def not_a_stack():
    """A web server that is not a local stack (as `classroom view`'s port would be)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "not_a_list.json").write_text('{"name": "alex_lacamoire"}')
    (tmp_path / "no_year.json").write_text('[{"name": "alex_lacamoire", "major": "data_science"}]')
    (tmp_path / "broken.json").write_text("[{")
    (tmp_path / "faces.npz").write_text("not a known-faces file")
    (tmp_path / "empty").mkdir()
    return tmp_path


def one_line(capsys, argv: list[str]) -> str:
    """`classroom ARGV`'s stderr, after checking it exited 2 with exactly one line for that command."""
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith(f"classroom {argv[0]}: "), err
    return err


# (arguments, what the line must say): the files are relative to the `files` folder
MISTAKES = [
    (["run", "absent.mp4"], "absent.mp4: no such file (a video or class photo to upload); check the path"),
    (["run", "--students", "not_a_list.json"], "student records are a JSON list, like [{"),
    (["run", "--students", "no_year.json"], "record 1 ("),
    (["run", "--students", "broken.json"], "broken.json is not valid JSON (student records)"),
    (["run", "--encodings", "faces.npz"], "make one with `classroom enroll PHOTOS_DIR --out FILE`"),
    (["run", "--encodings", "empty"], "empty is a folder; a known-faces file is a file"),
    (["seed"], "give it a stack, --endpoint URL of a running local stack or --stack NAME"),
    (["executions"], "on a new stack of its own there would be no runs to list"),
    (["history", "a1b2c3d4"], "on a new stack of its own there would be no runs to show"),
    (["enroll", "photos", "--out", "k.npz"], "photos: no such folder (PHOTOS_DIR/<name>/*.jpg"),
    (
        ["enroll", str(CLASS / "photos"), "--merge", "absent.npz", "--out", "k.npz"],
        "absent.npz: no such file",
    ),
    (["invoke", "WriteCsvFunction", "-e", "absent.json"], "absent.json: no such file (the event; events/"),
    (["workload", "--videos", "absent"], "absent: no such folder (--videos is a folder of MP4s)"),
    (["workload", "--videos", "empty"], "no .mp4 files in empty"),
    (["workload", "--videos", str(SAMPLES / "videos"), "--mapping", "absent"], "absent: no such file"),
]


@pytest.mark.parametrize(("argv", "says"), MISTAKES, ids=[" ".join(a[:3]) for a, _ in MISTAKES])
def test_a_missing_or_wrong_file_or_no_stack(argv, says, files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    assert says in one_line(capsys, argv)


ENDPOINT_COMMANDS = [
    ["run", str(CLASS / "class.mp4")],
    ["seed"],
    ["seed", "--students", str(SAMPLES / "student_data.json")],
    ["executions"],
    ["history", "cut.mp4"],
    ["view", "--port", "0"],
    ["invoke", "WriteCsvFunction"],
    ["enroll", str(CLASS / "photos"), "--out", "k.npz", "--seed", "--quiet"],
    ["workload", "--count", "1"],
]


@pytest.mark.parametrize("argv", ENDPOINT_COMMANDS, ids=[a[0] for a in ENDPOINT_COMMANDS])
def test_a_stack_that_is_not_up(argv, nothing_there, capsys, monkeypatch, tmp_path):
    """--endpoint where no `classroom up` runs: one line that says to start one, at once."""
    monkeypatch.chdir(tmp_path)
    said = one_line(capsys, [*argv, "--endpoint", nothing_there])
    assert (
        f"no local stack answers at {nothing_there}: start one in another terminal with `classroom up`"
        in said
    )


@pytest.mark.parametrize("argv", [["executions"], ["history", "cut.mp4"]], ids=["executions", "history"])
def test_an_endpoint_that_is_not_a_local_stack(argv, not_a_stack, capsys):
    said = one_line(capsys, [*argv, "--endpoint", not_a_stack.removeprefix("http://")])  # http:// left out
    assert f"{not_a_stack} answers, but not as a Smart Classroom local stack" in said
    assert "the URL `classroom up` printed" in said


@pytest.mark.stack
def test_an_unknown_execution(stack, capsys):
    said = one_line(capsys, ["history", "--endpoint", stack.endpoint, "no-such-run"])
    assert "no execution has the id 'no-such-run' or ran on a video of that key" in said
    arn = "arn:aws:states:us-east-1:123456789012:execution:smart-classroom-RecognitionStateMachine:nope"
    said = one_line(capsys, ["history", "--endpoint", stack.endpoint, arn])
    assert (
        f"no execution {arn}: `classroom executions` with the same --endpoint or --stack lists them" in said
    )


def test_up_on_a_port_in_use(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        said = one_line(capsys, ["up", "--port", str(port)])
    assert f"127.0.0.1:{port} is in use" in said and "is a `classroom up` running already?" in said


def test_stack_without_credentials_or_region(capsys, monkeypatch, tmp_path):
    """--stack with no AWS credentials, or no region: what to configure."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    said = one_line(capsys, ["executions", "--stack", "smart-classroom"])
    assert "--stack needs a region: add --region" in said
    said = one_line(capsys, ["executions", "--stack", "smart-classroom", "--region", "us-east-1"])
    assert "no AWS credentials for --stack: configure them" in said


def test_a_stack_that_is_not_deployed():
    """CloudFormation's answer for a stack name it does not have (AWS's words), as one line."""
    error = ClientError(
        {"Error": {"Code": "ValidationError", "Message": "Stack with id smart-classroom does not exist"}},
        "DescribeStacks",
    )
    said = mistakes.explain(error, stack="smart-classroom")
    assert said.startswith("no stack named smart-classroom in this region: check --stack and --region")


def test_a_bug_keeps_its_traceback():
    """Only mistakes are shortened: an error the user cannot put right is left to show its traceback."""
    assert mistakes.explain(ZeroDivisionError("division by zero")) is None
    assert mistakes.explain(json.JSONDecodeError("x", "doc", 0)) is None
