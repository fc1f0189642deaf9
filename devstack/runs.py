"""Upload videos to a deployment, wait for their executions, and collect the outcomes."""

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote_plus

from classroom_common import keys
from devstack.deployment import Deployment


@dataclass(frozen=True)
class Upload:
    video: str
    key: str
    etag: str
    version_id: str | None = None  # set when the input bucket is versioned, as the template's is
    at: float = field(default_factory=time.time)  # when it was sent (runs that began before are older)


@dataclass
class Outcome:
    video: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    students: list[dict]
    unknown_faces: int | None
    error: dict | None
    output_key: str
    seconds: float
    execution_arn: str = field(default="", repr=False)
    annotated_key: str | None = field(default=None, repr=False)

    def to_json(self) -> str:
        public = asdict(self)
        del public["execution_arn"], public["annotated_key"]
        return json.dumps(public)

    def line(self) -> str:
        who = ", ".join(f"{s['name']} ({s['major']}, {s['year']})" for s in self.students) or "nobody known"
        if self.error:
            who = f"{self.error['error']}: {self.error['cause']}"
        return f"{self.video}  {self.status}  {who}  -> {self.output_key}  {self.seconds:.2f}s"


def upload(deployment: Deployment, path: Path, key: str | None = None, body: bytes | None = None) -> Upload:
    """Put a video into the input bucket (``body``, or the file's bytes) under ``key`` (or its name)."""
    key, at = key or path.name, time.time()
    response = deployment.client("s3").put_object(
        Bucket=deployment["InputBucketName"],
        Key=key,
        Body=path.read_bytes() if body is None else body,
        ContentType="video/mp4",
    )
    return Upload(str(path), key, response["ETag"].strip('"'), response.get("VersionId"), at)


def identity(execution_input: str) -> tuple[str, str, str | None] | None:
    """The upload an execution is for: (key, ETag, version id), from its S3 event."""
    try:
        obj = json.loads(execution_input)["detail"]["object"]
        return unquote_plus(obj["key"]), obj.get("etag", ""), obj.get("version-id")
    except (KeyError, TypeError, ValueError):
        return None


def _for(upload: Upload, identity: tuple[str, str, str | None], started: float) -> bool:
    """Whether an execution (its identity and start time) is this upload's run, not an earlier one's."""
    key, etag, version = identity
    if (key, etag) != (upload.key, upload.etag):
        return False
    if upload.version_id and version:
        return version == upload.version_id
    return started >= upload.at - 5  # unversioned: the same bytes uploaded again start a new run


def outcome(deployment: Deployment, upload: Upload, execution: dict) -> Outcome:
    """What one finished execution produced, read from its description."""
    seconds = (execution["stopDate"] - execution["startDate"]).total_seconds()
    if execution["status"] == "SUCCEEDED":
        output = json.loads(execution.get("output") or "{}")
        return Outcome(
            video=upload.video,
            status="SUCCEEDED",
            students=output["lookup"]["students"],
            unknown_faces=output["recognition"]["unknown_faces"],
            error=None,
            output_key=output["output"]["key"],
            seconds=seconds,
            execution_arn=execution["executionArn"],
            annotated_key=output["recognition"].get("annotated_key"),
        )
    return Outcome(
        video=upload.video,
        status=execution["status"],
        students=[],
        unknown_faces=None,
        error={"error": execution.get("error", ""), "cause": execution.get("cause", "")},
        output_key=keys.error_report_key(upload.key),
        seconds=seconds,
        execution_arn=execution["executionArn"],
    )


def wait(
    deployment: Deployment,
    uploads: list[Upload],
    timeout: float = 900,
    poll: float = 0.25,
    on_progress: Callable[[int], None] | None = None,
) -> list[Outcome]:
    """Wait until every upload's execution has finished; outcomes in upload order.

    ``on_progress(finished)`` is told each time more have finished. Listing executions is not free on
    moto's server, so while many are running the list is read once a second.
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
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=deployment["StateMachineArn"])
        for item in (e for page in pages for e in page["executions"]):
            arn = item["executionArn"]
            if arn not in seen:
                described = sfn.describe_execution(executionArn=arn)
                seen[arn] = (identity(described["input"]), described)
            who, described = seen[arn]
            if who is None or item["status"] == "RUNNING" or arn in used:
                continue
            for i in by_key.get(who[:2], []):
                if i not in done and _for(uploads[i], who, item["startDate"].timestamp()):
                    if described["status"] == "RUNNING":  # described while it ran: read it again
                        described = sfn.describe_execution(executionArn=arn)
                        seen[arn] = (who, described)
                    done[i] = outcome(deployment, uploads[i], described)
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
    """Copy the CSV (or error report) and the annotated frame into ``out_dir``."""
    s3 = deployment.client("s3")
    files = [(deployment["OutputBucketName"], result.output_key, local_path(out_dir, result.output_key))]
    if result.annotated_key:
        target = local_path(out_dir, f"{keys.stem(result.output_key)}.annotated.jpg")
        files.append((deployment["ArtifactsBucketName"], result.annotated_key, target))
    for bucket, key, target in files:
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))
    return [target for _, _, target in files]
