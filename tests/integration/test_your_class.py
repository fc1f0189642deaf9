"""README.md's "Your own class", run as written: its commands are read from the README (so the two cannot
drift), each run in a shell as a user pastes it, against a `classroom up` of the test's own, and each must
print what its comment says. Then what the issue behind that section asked of the same stack: a person
without a student record shown in the view, `history` by id, `executions | head -1`, the AWS CLI with the
credentials `classroom up` prints, and local-stack.md's `classroom up` block, also run as written.

The one change to the text: the stack listens on a free port instead of 5000, so the test can run beside
a `classroom up` of yours; the commands' ``127.0.0.1:5000`` becomes that port.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from classroom_vision.known_faces import KnownFaces
from devstack import runs, view
from devstack.deployment import Deployment
from tests.conftest import ROOT
from tests.integration.test_view import browse, page
from tests.readme_blocks import Command, blocks, commands, section, squeeze

pytestmark = pytest.mark.stack
README = ROOT / "README.md"
LOCAL_STACK = ROOT / "docs" / "local-stack.md"
DOCUMENTED = "http://127.0.0.1:5000"
BIN = Path(sys.executable).parent  # the venv's: `classroom` and `aws`, as `. .venv/bin/activate` gives them
NOISE = ("Traceback", "WARN", "Warning", "warning:")  # what no command may print on stderr


@pytest.fixture(scope="module")
def up(tmp_path_factory):
    """`classroom up` on a free port, as the README's first terminal runs it: its URL and its output."""
    folder = tmp_path_factory.mktemp("up")
    stderr = (folder / "stderr").open("w")
    proc = subprocess.Popen(
        [str(BIN / "classroom"), "up", "--port", "0"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
        env=user_environment(folder),
    )
    printed = []
    for line in proc.stdout:
        printed.append(line.rstrip("\n"))
        if line.strip().startswith("aws --endpoint-url"):  # its last line
            break
    else:
        raise AssertionError(f"`classroom up` exited with {proc.wait()}: {(folder / 'stderr').read_text()}")
    endpoint = printed[0].split()[3]
    yield endpoint, printed, folder / "stderr"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in its terminal
    assert proc.wait(timeout=30) == 0
    stderr.close()


def user_environment(home: Path) -> dict[str, str]:
    """A user's shell after `. .venv/bin/activate`: no AWS credentials, profile or region of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") or k == "AWS_CA_BUNDLE"}
    return {
        **env,
        "PATH": f"{BIN}{os.pathsep}{env['PATH']}",
        "VIRTUAL_ENV": str(BIN.parent),
        "HOME": str(home),
    }


def shell(command: str, cwd: Path, endpoint: str) -> subprocess.CompletedProcess:
    """``command`` in bash, as pasted, with the documented URL made the test stack's."""
    return subprocess.run(
        ["bash", "-c", command.replace(DOCUMENTED, endpoint)],
        cwd=cwd,
        env=user_environment(cwd),
        capture_output=True,
        text=True,
        timeout=300,
    )


def says(output: str, command: Command) -> bool:
    """Whether ``output`` has the command's comment, its parts (between "…") in order."""
    text, at = squeeze(output), 0
    for fragment in command.fragments():
        at = text.find(fragment, at)
        if at < 0:
            return False
        at += len(fragment)
    return True


def table(path: Path) -> list[tuple[str, str, str]]:
    return [(r["name"], r["major"], r["year"]) for r in csv.DictReader(io.StringIO(path.read_text()))]


@pytest.fixture(scope="module")
def readme_run(up, tmp_path_factory):
    """Every command of the README's section, in order, in a folder like the repository's (``data`` is
    the repository's); for each: the command, what it printed, and the class CSV and stack after it."""
    endpoint, _, _ = up
    (text,) = blocks(section(README, "## Your own class"))
    assert DOCUMENTED in text and "`classroom up`" in section(README, "## Your own class")
    folder = tmp_path_factory.mktemp("your-class")
    (folder / "data").symlink_to(ROOT / "data")
    stack = Deployment.local(endpoint)
    done = []
    for command in commands(text):
        result = shell(command.text, folder, endpoint)
        csv_file = folder / "out" / "class.csv"
        done.append((command, result, table(csv_file) if csv_file.exists() else None, facts(stack)))
    return folder, done


def facts(stack: Deployment) -> tuple[list[str], int, str]:
    """The stack's known people, student records and the known-faces object's ETag."""
    s3 = stack.client("s3")
    known = s3.get_object(Bucket=stack["KnownFacesBucketName"], Key=stack["KnownFacesKey"])
    students = stack.client("dynamodb").scan(TableName=stack["StudentsTableName"], Select="COUNT")
    return KnownFaces.from_bytes(known["Body"].read()).people, students["Count"], known["ETag"]


def test_each_command_prints_what_the_readme_says(readme_run):
    _, done = readme_run
    assert len(done) == 10
    for command, result, _, _ in done:
        output = result.stdout + result.stderr
        # `classroom run` exits 1 when a run failed (the cut video's); everything else succeeds
        failing = command.text.startswith("classroom run") and "FAILED" in command.prints
        assert result.returncode == (1 if failing else 0), (command.text, output)
        assert says(output, command), (command.text, command.prints, output)
        assert not any(word in result.stderr for word in NOISE), (command.text, result.stderr)


def test_the_new_student_without_and_with_a_record(readme_run):
    """Issue 24, rows 1 to 4: enrolment keeps the course's faces; `seed` changes only what it is given; a
    person without a student record is in the `run` line and in the CSV (name, empty major and year)."""
    folder, done = readme_run
    by_step = dict(enumerate(done))
    steps = [
        "run",
        "enroll",
        "seed --encodings",
        "run",
        "cat",
        "seed --students",
        "run",
        "head",
        "run",
        "history",
    ]
    for i, words in enumerate(steps):
        first, *option = words.split()
        command = done[i][0].text.removeprefix("classroom ")
        assert command.startswith(first) and all(o in command for o in option), (i, command)
    course = ["bush", "denzel_washington", "floki", "johnny_dep", "morgan_freeman", "mr_bean"]
    course += ["president_biden", "president_obama", "president_trump", "travis_ragnar", "vin_diesel"]

    _, _, rows, (people, records, _) = by_step[0]
    assert rows == [("floki", "history", "junior"), ("president_obama", "electrical_engineering", "senior")]
    assert (people, records) == (course, 8)

    enrolled = KnownFaces.from_bytes((folder / "known_faces.npz").read_bytes())
    assert enrolled.people == sorted([*course, "alex_lacamoire"])  # --merge kept the course's 11

    _, _, _, (people, records, faces_etag) = by_step[2]  # seed --encodings: the faces, not the students
    assert (people, records) == (sorted([*course, "alex_lacamoire"]), 8)

    _, second, rows, _ = by_step[3]
    assert "alex_lacamoire (no student record)" in second.stdout
    assert ("alex_lacamoire", "", "") in rows and len(rows) == 3

    _, _, _, (people, records, etag) = by_step[5]  # seed --students: a record added, the faces kept
    assert (records, etag, len(people)) == (9, faces_etag, 12)

    _, third, rows, _ = by_step[6]
    assert ("alex_lacamoire", "data_science", "junior") in rows and len(rows) == 3
    assert "no student record" not in third.stdout

    assert "InvalidVideo" in (folder / "out" / "errors" / "cut.mp4.json").read_text()


def test_history_by_short_id_name_and_video_key(readme_run, up):
    """Row 6: `history` takes the short id `executions` prints, the name, or the video's key; an unknown
    one is one line that says what to do."""
    folder, done = readme_run
    endpoint, _, _ = up
    by_key = done[9][1].stdout
    listed = shell("classroom executions --endpoint http://127.0.0.1:5000", folder, endpoint)
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if line.split()[5] == "cut.mp4"]
    short_id = line.split()[4]
    as_json = shell("classroom executions --json --endpoint http://127.0.0.1:5000", folder, endpoint)
    (cut,) = [r for r in map(json.loads, as_json.stdout.splitlines()) if r["video"] == "cut.mp4"]
    assert len(short_id) == 8 and cut["name"].startswith(short_id)
    assert [r["missing"] for r in map(json.loads, as_json.stdout.splitlines())].count(["alex_lacamoire"]) == 1
    for name in (short_id, cut["name"]):
        again = shell(f"classroom history --endpoint http://127.0.0.1:5000 {name}", folder, endpoint)
        assert (again.returncode, again.stdout) == (0, by_key), again.stderr

    unknown = shell("classroom history --endpoint http://127.0.0.1:5000 no-such-run", folder, endpoint)
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.count("\n") == 1 and "`classroom executions`" in unknown.stderr


def test_executions_into_head_ends_quietly(readme_run, up):
    """Row 7: `classroom executions | head -1` prints one line and no BrokenPipeError, and so does a
    reader gone before the first line (what head does to a longer listing)."""
    folder, _ = readme_run
    endpoint, _, _ = up
    piped = shell(
        "set -o pipefail; classroom executions --endpoint http://127.0.0.1:5000 | head -1", folder, endpoint
    )
    assert piped.stdout.count("\n") == 1 and piped.stderr == "", piped.stderr
    assert piped.returncode in (0, 141)  # 141: it had more to write when head left, as `yes | head -1`

    read, write = os.pipe()
    os.close(read)  # the reader has gone
    proc = subprocess.run(
        [str(BIN / "classroom"), "executions", "--endpoint", endpoint],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(write)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_the_view_shows_the_person_without_a_record(readme_run, up, tmp_path):
    """Row 4 in `classroom view` (a real headless Chromium): the list's students column, and the run's
    page (its students and its attendance), name him with "(no student record)"."""
    endpoint, _, _ = up
    stack = Deployment.local(endpoint)
    server = view.ViewServer(stack, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        without = [r for r in map(runs.summary, described(stack)) if r.missing == ["alex_lacamoire"]]
        assert len(without) == 1, [r.line() for r in map(runs.summary, described(stack))]
        listing = browse(server.url, tmp_path)
        assert "alex_lacamoire (no student record)" in listing.tables["executions"]
        run_page = browse(page(server.url, without[0].arn), tmp_path)
        assert "Students" in run_page.text
        assert "president_obama (electrical_engineering, senior), alex_lacamoire (no student record)" in (
            run_page.text
        )
        attendance = {
            a.get("data-name") for t, a in run_page.elements if t == "tr" and "presence" in a.values()
        }
        assert attendance == {"alex_lacamoire", "floki", "president_obama"}
        assert "alex_lacamoire (no student record)" in squeeze(run_page.tables[""])  # the attendance table
    finally:
        server.shutdown()
        server.server_close()


def described(stack: Deployment) -> list[dict]:
    sfn = stack.client("stepfunctions")
    return [sfn.describe_execution(executionArn=e["executionArn"]) for e in runs.executions(stack)]


def test_up_prints_the_aws_cli_credentials_and_no_warnings(up, tmp_path):
    """Rows 5 and 8: the lines `classroom up` prints for the AWS CLI work when pasted (without them the
    AWS CLI finds no credentials), and `classroom up` prints no warning."""
    endpoint, printed, stderr = up
    exports = [line.strip() for line in printed if line.strip().startswith(("export AWS_", "aws --endpoint"))]
    assert len(exports) == 2, printed
    bare = shell(exports[1], tmp_path, endpoint)
    assert bare.returncode != 0 and "Unable to locate credentials" in bare.stderr
    pasted = shell("\n".join(exports), tmp_path, endpoint)
    assert pasted.returncode == 0, pasted.stderr
    assert "smart-classroom-inputbucket" in pasted.stdout
    assert stderr.read_text().splitlines() == ["seeded 8 students and 11 encodings of 11 people"]


def test_local_stack_docs_classroom_up_block(up, readme_run, tmp_path):
    """local-stack.md's `classroom up` block as written (its first line is the stack this module runs):
    the AWS CLI upload with the exported credentials starts a run, which `classroom executions` lists."""
    endpoint, _, _ = up
    (text,) = blocks(section(LOCAL_STACK, "## A stack that stays up: `classroom up`"))
    first, *rest = commands(text)
    assert first.text == "classroom up"
    (tmp_path / "data").symlink_to(ROOT / "data")
    started = time.time()
    result = shell("set -e\n" + "\n".join(c.text for c in rest), tmp_path, endpoint)
    assert result.returncode == 0, result.stderr
    assert "upload: data/your-class/class.mp4 to s3://smart-classroom-inputbucket/class.mp4" in result.stdout
    newest = runs.executions(Deployment.local(endpoint))[0]
    assert newest["startDate"].timestamp() >= started - 1
    listing = [line for line in result.stdout.splitlines() if line.startswith("20")]
    assert listing and listing[0].split()[4] == newest["name"][:8]
