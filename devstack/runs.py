"""Upload videos (or class photos) to a deployment, wait for their executions, and collect the outcomes."""

import json
import mimetypes
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import unquote_plus

from classroom_common import keys
from classroom_common.errors import readable_cause
from devstack.deployment import Deployment

FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class Upload:
    video: str
    key: str
    etag: str
    version_id: str | None = None  # set when the input bucket is versioned, as the template's is
    at: float = field(default_factory=time.time)  # when it was sent (runs that began before are older)


def upload(
    deployment: Deployment, path: Path, key: str | None = None, body: bytes | BinaryIO | None = None
) -> Upload:
    """Put a video or a class photo into the input bucket (``body``, or the file's bytes) under ``key``
    (or its name)."""
    if body is None:
        with path.open("rb") as file:  # streamed: a 2 GB lecture is not read into memory
            return upload(deployment, path, key, file)
    key, at = key or path.name, time.time()
    response = deployment.client("s3").put_object(
        Bucket=deployment["InputBucketName"],
        Key=key,
        Body=body,
        ContentType=content_type(key),
    )
    return Upload(str(path), key, response["ETag"].strip('"'), response.get("VersionId"), at)


def content_type(key: str) -> str:
    """The upload's Content-Type, from its name (``image/jpeg`` for a photo); ``video/mp4`` when the name
    says nothing. Only a label: ExtractFrames tells a photo from a video by its first bytes."""
    return mimetypes.guess_type(key, strict=False)[0] or "video/mp4"


def identity(execution_input: str) -> tuple[str, str, str | None] | None:
    """The upload an execution is for: (key, ETag, version id), from its S3 event."""
    try:
        obj = json.loads(execution_input)["detail"]["object"]
        return unquote_plus(obj["key"]), obj.get("etag", ""), obj.get("version-id")
    except (KeyError, TypeError, ValueError):
        return None


def _for(upload: Upload, execution: tuple[str, str, str | None], started: float) -> bool:
    """Whether an execution (its ``identity`` and start time) is this upload's run, not an earlier one's."""
    key, etag, version = execution
    if (key, etag) != (upload.key, upload.etag):
        return False
    if upload.version_id and version:
        return version == upload.version_id
    return started >= upload.at - 5  # unversioned: the same bytes uploaded again start a new run


@dataclass(frozen=True)
class Run:
    """One execution as a person reads it: the video, how it ended, who was found or what went wrong."""

    arn: str
    name: str
    video: str  # the uploaded object's key
    status: str
    started: datetime | None
    seconds: float | None  # start to stop, or so far while it runs
    students: list[dict]  # {"name", "major", "year"}
    unknown_faces: int | None
    error: dict | None  # {"error", "cause"} as Step Functions reports them
    output_key: str | None  # the CSV
    annotated_key: str | None  # the annotated frame, in the artifacts bucket
    attendance: dict | None = None  # {"frames_sampled", "students": [{"name", "first_seen", "last_seen", …}]}
    attendance_key: str | None = None  # <video stem>.attendance.json, beside the CSV
    missing: list[str] = field(default_factory=list)  # recognized, but with no student record

    @property
    def message(self) -> str:
        """The error's readable cause (a Lambda error's message, not its JSON)."""
        return readable_cause(self.error["cause"])[0] if self.error else ""

    def line(self) -> str:
        started = f"{self.started.astimezone():%Y-%m-%d %H:%M:%S}" if self.started else "-"
        took = f"{self.seconds:.2f}s" if self.seconds is not None else "-"
        if self.error:
            what = f"{self.error['error']}: {self.message}"
        elif self.status == "SUCCEEDED":
            what = who(self.students, self.unknown_faces, self.missing)
        else:
            what = ""
        video = self.video or self.name
        return f"{started}  {self.status:<9}  {took:>8}  {self.short_id}  {video}  {what}".rstrip()

    @property
    def short_id(self) -> str:
        """The execution name's first 8 characters: enough for ``classroom history`` to find it."""
        return self.name[:8] or "-"

    def to_json(self) -> str:
        public = asdict(self)
        public["started"] = self.started.isoformat() if self.started else None
        public["error"] = {"error": self.error["error"], "cause": self.message} if self.error else None
        return json.dumps(public)


@dataclass(frozen=True, kw_only=True)
class Outcome(Run):
    """An upload's run once it has finished, with the local ``file`` that was uploaded; ``output_key``
    is the error report's when there is no CSV, and ``seconds`` is never None."""

    file: str

    def line(self) -> str:
        what = who(self.students, self.unknown_faces, self.missing)
        if self.error:
            what = f"{self.error['error']}: {self.error['cause']}"
        return f"{self.file}  {self.status}  {what}  -> {self.output_key}  {self.seconds:.2f}s"

    def to_json(self) -> str:
        return json.dumps(
            {
                "video": self.file,
                "status": self.status,
                "students": self.students,
                "missing": self.missing,
                "unknown_faces": self.unknown_faces,
                "error": self.error,
                "output_key": self.output_key,
                "seconds": self.seconds,
                "attendance": self.attendance,
            }
        )


NO_RECORD = "no student record"


def who(students: list[dict], unknown_faces: int | None = None, missing: list[str] | None = None) -> str:
    """``name (major, year), …``, then each person recognized without a student record as
    ``name (no student record)``, plus how many faces matched nobody."""
    found = [f"{s['name']} ({s.get('major', '?')}, {s.get('year', '?')})" for s in students]
    found += [f"{name} ({NO_RECORD})" for name in missing or []]
    unknown = f"{unknown_faces} unknown face{'s' * (unknown_faces != 1)}" if unknown_faces else ""
    return ", ".join(filter(None, [*found, unknown])) or "nobody known"


def summary(execution: dict) -> Run:
    """A run from its ``DescribeExecution`` answer."""
    start, stop = execution.get("startDate"), execution.get("stopDate")
    seconds = ((stop or datetime.now(UTC)) - start).total_seconds() if start else None
    found = identity(execution.get("input") or "")
    students, missing, unknown, output_key, annotated = [], [], None, None, None
    attendance, attendance_key = None, None
    if execution["status"] == "SUCCEEDED":
        try:
            output = json.loads(execution.get("output") or "{}")
            students = output["lookup"]["students"]
            missing = output["lookup"].get("missing") or []
            recognition = output["recognized"]["recognition"]
            unknown = recognition["unknown_faces"]
            annotated = recognition.get("annotated_key")
            output_key = output["output"]["key"]
            attendance = recognition.get("attendance")
            attendance_key = output["output"].get("attendance_key")
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # not one of ours: shown without its result
    error = {"error": execution.get("error", ""), "cause": execution.get("cause", "")}
    return Run(
        arn=execution["executionArn"],
        name=execution.get("name", ""),
        video=found[0] if found else "",
        status=execution["status"],
        started=start,
        seconds=seconds,
        students=students,
        unknown_faces=unknown,
        error=error if execution["status"] in FINISHED and execution["status"] != "SUCCEEDED" else None,
        output_key=output_key,
        annotated_key=annotated,
        attendance=attendance,
        attendance_key=attendance_key,
        missing=missing,
    )


def executions(deployment: Deployment, limit: int | None = None) -> list[dict]:
    """The state machine's executions, newest first (``ListExecutions`` items)."""
    sfn = deployment.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=deployment["StateMachineArn"], PaginationConfig={"MaxItems": limit}
    )
    return sorted(
        (e for page in pages for e in page["executions"]), key=lambda e: e["startDate"], reverse=True
    )


def outcome(upload: Upload, execution: dict) -> Outcome:
    """What one finished execution produced, read from its description."""
    run = summary(execution)
    finished = {
        "output_key": run.output_key or keys.error_report_key(upload.key),
        "seconds": run.seconds or 0.0,
    }
    return Outcome(**{**vars(run), **finished}, file=upload.video)


def wait(
    deployment: Deployment,
    uploads: list[Upload],
    timeout: float = 900,
    poll: float = 0.25,
    on_progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Wait until every upload's execution has finished; outcomes in upload order.

    ``on_progress(finished)`` is told each time more have finished. Listing executions is not free on
    moto's server, so while many are running the list is read once a second, and an execution is
    described once, when the list shows it finished.
    """
    sfn = deployment.client("stepfunctions")
    by_key: dict[tuple[str, str], list[int]] = {}
    for i, u in enumerate(uploads):
        by_key.setdefault((u.key, u.etag), []).append(i)
    seen: dict[str, tuple[tuple[str, str, str | None] | None, dict]] = {}  # arn -> (identity, description)
    done: dict[int, Outcome] = {}
    used: set[str] = set()  # executions already given to an upload
    deadline = time.monotonic() + timeout
    while len(done) < len(uploads):
        if time.monotonic() > deadline:
            missing = [u.key for i, u in enumerate(uploads) if i not in done]
            raise TimeoutError(f"no outcome after {timeout:.0f} s for {missing}")
        for item in executions(deployment):
            arn = item["executionArn"]
            if item["status"] == "RUNNING" or arn in used:
                continue
            if arn not in seen:  # described once, when it has finished
                described = sfn.describe_execution(executionArn=arn)
                seen[arn] = (identity(described["input"]), described)
            execution, described = seen[arn]
            if execution is None:
                continue
            for i in by_key.get(execution[:2], []):
                if i not in done and _for(uploads[i], execution, item["startDate"].timestamp()):
                    done[i] = outcome(uploads[i], described)
                    used.add(arn)
                    break
        if on_progress:
            on_progress(len(done))
        if len(done) < len(uploads):
            time.sleep(poll if len(uploads) - len(done) <= 10 else max(poll, 1.0))
    return [done[i] for i in range(len(uploads))]


def local_path(out_dir: Path, key: str) -> Path:
    """Where an object key lands under ``out_dir``: its prefixes become folders, and no part of
    the key (``..``, a leading ``/``) can lead outside ``out_dir``."""
    parts = [p for p in PurePosixPath(key).parts if p not in ("/", ".", "..")]
    return out_dir.joinpath(*parts)


def download(deployment: Deployment, result: Outcome, out_dir: Path) -> list[Path]:
    """Copy the CSV (or error report), the attendance and the annotated frame into ``out_dir``."""
    s3 = deployment.client("s3")
    files = [(deployment["OutputBucketName"], result.output_key, local_path(out_dir, result.output_key))]
    if result.attendance_key:
        files.append(
            (
                deployment["OutputBucketName"],
                result.attendance_key,
                local_path(out_dir, result.attendance_key),
            )
        )
    if result.annotated_key:
        target = local_path(out_dir, f"{keys.stem(result.output_key)}.annotated.jpg")
        files.append((deployment["ArtifactsBucketName"], result.annotated_key, target))
    for bucket, key, target in files:
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
    return [target for _, _, target in files]
