"""`classroom invoke FUNCTION [-e EVENT]`: one handler on one event, locally: `sam local invoke`
without Docker.

The handler runs in a devstack worker process with its template environment, against the local stack:
a new in-process one (seeded, with the bundled sample the event refers to uploaded and its run
finished, so the frames and records the event names exist) or a running one given by --endpoint
(`classroom up`). The result goes to stdout as JSON, the function's logs to stderr; a function error
exits with status 1. The default event is events/<folder>.json. The step does its work every time:
Powertools idempotency is off in its worker unless --idempotency (then a step already done for the
upload returns the recorded result, as on AWS when an event is delivered twice).

The events in events/ name the bundled test_0.mp4 by its real ETag and by the version id the local
stack gives it: moto's identifiers come from a random generator, which is seeded (/moto-api/seed)
right before a sample is uploaded.
"""

import argparse
import hashlib
import json
import sys
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path, PurePosixPath
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from devstack import mistakes, runs, seeding
from devstack.deployment import Deployment
from devstack.lambdas import FunctionPool, Invocation
from devstack.template import ROOT, FunctionSpec, Template

EVENTS = ROOT / "events"
SAMPLE_SEED = 5  # moto's random seed before a sample upload: its version id is the one in events/


def function(name: str, template: Template | None = None) -> FunctionSpec:
    """The function named by its logical id, its folder under ``functions/`` or its physical name."""
    return (template or Template()).function(name)


def default_event(spec: FunctionSpec) -> Path:
    return EVENTS / f"{spec.short_name}.json"


def read_event(path: Path | str) -> Any:
    """The event in a JSON file, or on stdin for ``-``."""
    text = sys.stdin.read() if str(path) == "-" else Path(path).read_text()
    return json.loads(text)


def referenced_video(event: Any) -> dict | None:
    """The upload an event is about ({bucket, key, etag, version_id}): an S3 event's object or a
    state's ``video``, at the top or inside the input's ``upload``, ``batch`` or ``run``
    (``classroom_common.states``); None for LookupStudents'."""
    if not isinstance(event, dict):
        return None
    if isinstance(event.get("video"), dict):
        video = event["video"]
        return video if all(isinstance(video.get(k), str) for k in ("bucket", "key", "etag")) else None
    if event.get("source") == "aws.s3" and isinstance(event.get("detail"), dict):
        from classroom_common.models import Video

        try:
            return Video.from_event(event).model_dump()
        except ValueError:  # not a valid S3 event: the handler will say so
            return None
    inner = (event.get(k) for k in ("upload", "batch", "run"))
    return next((found for found in map(referenced_video, inner) if found), None)


def _seed_random(endpoint: str) -> None:
    url = f"{endpoint}/moto-api/seed?a={SAMPLE_SEED}"  # the local stack's own moto server
    with urllib.request.urlopen(urllib.request.Request(url, method="POST"), timeout=10):  # noqa: S310
        pass


def _wait_idle(deployment: Deployment, timeout: float = 60) -> None:
    """Until no execution is running: Lambda invocations draw on moto's random generator too."""
    sfn, deadline = deployment.client("stepfunctions"), time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = sfn.list_executions(stateMachineArn=deployment["StateMachineArn"], statusFilter="RUNNING")
        if not running["executions"]:
            return
        time.sleep(0.25)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()  # noqa: S324 (S3's ETag of a single-part upload)


def _version_exists(deployment: Deployment, video: dict) -> bool:
    extra = {"VersionId": video["version_id"]} if video.get("version_id") else {"IfMatch": video["etag"]}
    try:
        deployment.client("s3").head_object(Bucket=video["bucket"], Key=video["key"], **extra)
    except ClientError:
        return False
    return True


def stage(
    deployment: Deployment, event: Any, timeout: float = 300, say: Callable[[str], None] = print
) -> runs.Outcome | None:
    """Put the bundled sample the event refers to into the local stack's input bucket, unless that
    version is there already, and wait for its run: the frames, known faces and records it names exist.
    Events about other objects are left alone (None)."""
    video = referenced_video(event)
    if video is None:
        return None
    where = f"s3://{video['bucket']}/{video['key']}"
    sample = seeding.SAMPLE_VIDEOS / PurePosixPath(video["key"]).name
    if video["bucket"] != deployment["InputBucketName"] or not sample.is_file():
        say(f"{where} is not a bundled sample in this stack's input bucket; not uploading it")
        return None
    if _md5(sample) != video.get("etag"):
        say(f"{where}: the event's ETag is not the MD5 of {sample.name}; not uploading it")
        return None
    if _version_exists(deployment, video):
        say(f"{where} ({video.get('version_id') or video['etag']}) is in the input bucket")
    else:
        if deployment.endpoint:
            _wait_idle(deployment)
            _seed_random(deployment.endpoint)
        runs.upload(deployment, sample, key=video["key"])
        head = deployment.client("s3").head_object(Bucket=video["bucket"], Key=video["key"])
        say(f"uploaded {sample.name} to {where} (version {head.get('VersionId', 'null')})")
        if video.get("version_id") and head.get("VersionId") != video["version_id"]:
            say(
                f"warning: the event names version {video['version_id']}, the upload is "
                f"{head.get('VersionId')}: edit the event's version-id (see events/README.md)"
            )
    upload = runs.Upload(str(sample), video["key"], video["etag"])
    try:
        (outcome,) = runs.wait(deployment, [upload], timeout=timeout)
    except TimeoutError as error:
        say(f"warning: {error}; invoking anyway")
        return None
    say(f"its run: {outcome.line()}")
    return outcome


def worker_environment(endpoint: str, idempotency: bool = True) -> dict[str, str]:
    """What a worker adds to its template environment to reach the local stack at ``endpoint``;
    without ``idempotency`` a step repeats its work instead of returning the result recorded for
    the upload (POWERTOOLS_IDEMPOTENCY_DISABLED)."""
    from devstack import stack

    environment = stack.endpoint_environment(endpoint)
    if not idempotency:
        environment["POWERTOOLS_IDEMPOTENCY_DISABLED"] = "true"
    return environment


def pool_for(spec: FunctionSpec, endpoint: str, idempotency: bool = False) -> FunctionPool:
    """One worker of its own for ``spec`` against the local stack at ``endpoint``; ``close()`` it."""
    return FunctionPool(spec, worker_environment(endpoint, idempotency), max_workers=1, log_file=None)


def error_line(spec: FunctionSpec, result: Invocation) -> str:
    try:
        error = json.loads(result.payload)
        return f"{spec.logical_id} failed: {error.get('errorType')}: {error.get('errorMessage')}"
    except (ValueError, AttributeError):
        return f"{spec.logical_id} failed: {result.payload}"


def cmd_invoke(args: argparse.Namespace) -> int:
    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    try:
        spec = function(args.function)
    except LookupError as error:
        say(str(error))
        return 2
    event_path = args.event or default_event(spec)
    if str(event_path) != "-":
        mistakes.existing_file(
            Path(event_path), f"the event; events/ holds one per step, {spec.short_name}.json"
        )
    try:
        event = read_event(event_path)
    except ValueError as error:
        raise mistakes.Mistake(f"{event_path} is not valid JSON (the event): {error}") from error
    with ExitStack() as resources:
        if args.endpoint:
            deployment = mistakes.stack_answers(Deployment.local(args.endpoint))
            stack = None
        else:
            from devstack.stack import LocalStack

            say("starting the local stack…")
            stack = resources.enter_context(LocalStack())
            deployment = stack.deployment
            say(seeding.seed(deployment))
        if not args.no_upload:
            try:
                stage(deployment, event, timeout=args.timeout, say=say)
            except EndpointConnectionError as error:
                say(f"cannot reach the local stack: {error}")
                return 2
        if stack and args.idempotency:
            pool, cold = stack.pools[spec.name], ""  # the stack's own warm workers
        else:
            pool = resources.enter_context(
                closing(pool_for(spec, deployment.endpoint or "", args.idempotency))
            )
            cold = " (cold start included)"
        say(f"invoking {spec.logical_id} with {event_path}")
        result = pool.invoke(event)
    sys.stderr.write(result.logs)
    say(f"REPORT {spec.logical_id}  Duration: {result.seconds * 1000:.0f} ms{cold}")
    try:
        print(json.dumps(json.loads(result.payload), indent=2))
    except ValueError:
        print(result.payload)
    if result.errored:
        say(error_line(spec, result))
        return 1
    return 0


def register(subparsers, add_target=None, deployment=None) -> None:
    """Add ``classroom invoke`` (``add_target``/``deployment`` unused: it runs against local stacks only)."""
    parser = subparsers.add_parser(
        "invoke",
        help="run one function's handler on an event, locally (sam local invoke without Docker)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "function", help="logical id (ExtractFramesFunction) or folder under functions/ (extract_frames)"
    )
    parser.add_argument("-e", "--event", help="event JSON file, - for stdin (default: events/<folder>.json)")
    parser.add_argument(
        "--endpoint", help="URL of a running local stack (`classroom up`) instead of a new one"
    )
    parser.add_argument(
        "--no-upload",
        action="store_true",
        help="do not upload the bundled sample the event refers to (nor wait for its run)",
    )
    parser.add_argument(
        "--idempotency",
        action="store_true",
        help="keep Powertools idempotency on: an upload's step already done returns its recorded result",
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the sample's run")
    parser.set_defaults(handler=cmd_invoke)
