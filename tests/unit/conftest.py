"""Unit-test fixtures: the template's buckets and tables in moto (in process), handlers loaded as
Lambda loads them, a fake Lambda context, and S3 ``Object Created`` events as EventBridge delivers them.

Function code is imported directly, not through the local stack (``tests.unit.function_code``):

- ``load("extract_frames")`` (fixture): the function's handler, its environment from template.yaml, called
  as Lambda calls it (``handler(event)``; ``handler.spec`` is the template's FunctionSpec). The name is
  any the template knows the function by (logical id, short name, physical name).
- ``import_function_module("extract_frames", "frames")`` (from ``tests.unit.function_code``, or from
  here): functions/extract_frames/frames.py by its bare name, as the handler imports it.
- ``function_code.on_path("extract_frames")``: functions/extract_frames/ and the layers first on
  ``sys.path`` inside a ``with`` block; ``function_code.load_handler(folder, module)``: a handler module
  run afresh, as a cold start.

From devstack only what reads template.yaml and builds S3's events and the storage through boto3
(``template``, ``s3_events``, ``storage``): none of them imports moto, so a moto upgrade can only break
the local stack and the integration tests, not these.
"""

import sys
import types
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from classroom_common import storage
from classroom_vision.known_faces import KnownFaces, from_course_pickle
from devstack.s3_events import s3_event
from devstack.storage import create_storage
from devstack.template import REGION, FunctionSpec, Template
from tests.conftest import SAMPLES
from tests.unit.function_code import import_function_module, load_handler

TEMPLATE = Template()
VIDEOS = SAMPLES / "videos"
COURSE_ENCODINGS = SAMPLES / "encoding"


def function_spec(function: str) -> FunctionSpec:
    """The template's spec of ``functions/<function>/`` (environment resolved to local names)."""
    return TEMPLATE.function(function)


@dataclass(frozen=True)
class FakeContext:
    """What Powertools reads from a LambdaContext."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class Handler:
    """A function's ``app`` module, invoked as Lambda invokes it."""

    module: types.ModuleType
    spec: FunctionSpec

    def context(self) -> FakeContext:
        return FakeContext(
            function_name=self.spec.name,
            memory_limit_in_mb=self.spec.memory,
            invoked_function_arn=self.spec.arn,
            aws_request_id=str(uuid.uuid4()),
            remaining_ms=self.spec.timeout * 1000,
        )

    def __call__(self, event: dict) -> dict:
        entry = self.spec.handler.rsplit(".", 1)[1]
        return getattr(self.module, entry)(event, self.context())


@cache
def _boto3_session() -> boto3.session.Session:
    return boto3.session.Session()


@pytest.fixture
def aws(monkeypatch):
    """moto in process, with fake credentials; the layer's cached clients are rebuilt inside the mock."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    # One boto3 session for the whole run: its loader keeps the parsed service models, so each
    # test's fresh clients cost milliseconds instead of a second (moto would reset it per test).
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", _boto3_session())
    with mock_aws(config={"core": {"reset_boto3_session": False}}):
        storage.s3.cache_clear()
        storage.dynamodb.cache_clear()
        yield
    storage.s3.cache_clear()
    storage.dynamodb.cache_clear()


@dataclass
class Cloud:
    """The template's buckets and tables, created in moto under the local stack's names."""

    names: dict[str, str]  # stack output name -> physical name

    @property
    def s3(self):
        return storage.s3()

    @property
    def dynamodb(self):
        return storage.dynamodb()

    def __getitem__(self, output: str) -> str:
        return self.names[output]

    def upload(self, key: str, body: bytes, bucket: str | None = None) -> dict:
        """Put ``body`` at ``key`` (input bucket by default) and return S3's event for it."""
        bucket = bucket or self["InputBucketName"]
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)
        return object_created_event(self.s3, bucket, key)


def object_created_event(s3, bucket: str, key: str, version_id: str | None = None) -> dict:
    """The ``Object Created`` event S3 sends to EventBridge for this object (the local stack's shape)."""
    head = s3.head_object(Bucket=bucket, Key=key, **({"VersionId": version_id} if version_id else {}))
    return s3_event(bucket, key, head["ContentLength"], head["ETag"], head.get("VersionId"))


@pytest.fixture
def cloud(aws) -> Cloud:
    create_storage(TEMPLATE, storage.s3(), storage.dynamodb())
    return Cloud(TEMPLATE.outputs())


_warm: dict[tuple, Handler] = {}


@pytest.fixture
def load(aws, monkeypatch):
    """``load("extract_frames", MAX_VIDEO_BYTES="10")``: set the function's environment from the
    template (plus overrides), then import its handler module (the Handler's, e.g. app.py) as Lambda
    does (module globals read the env).

    Like Lambda, a container is reused: a function loaded again with the same environment gets the
    same (warm) module, unless ``cold=True``. Cold starts cost a second each (Powertools' idempotency
    layer builds its own boto3 session at import), which would dominate the suite's run time.
    """

    def _load(function: str, *, cold: bool = False, **overrides: str) -> Handler:
        spec = function_spec(function)
        environment = {**spec.environment, **{k: str(v) for k, v in overrides.items()}}
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        key = (function, tuple(sorted(environment.items())))
        if cold or key not in _warm:
            # Powertools' logger and metrics (classroom_common.handler) read the environment when they
            # are made: a cold start makes them again, as a new Lambda container does.
            sys.modules.pop("classroom_common.handler", None)
            module = spec.handler.rsplit(".", 1)[0]
            _warm[key] = Handler(load_handler(spec.code_dir.name, module), spec)
        return _warm[key]

    return _load


def record_calls(client) -> list[tuple[str, dict]]:
    """Every API call ``client`` makes from now on, as ``(operation, params)``."""
    calls: list[tuple[str, dict]] = []

    def before(params, model, **_kwargs):
        calls.append((model.name, dict(params)))

    client.meta.events.register("before-parameter-build", before)
    return calls


@cache
def course_known_faces() -> KnownFaces:
    """The course's known faces (11 people), converted through the NumPy-only unpickler."""
    return from_course_pickle(COURSE_ENCODINGS.read_bytes())


@cache
def clip_jpegs(video: str, samples: int = 6) -> tuple[tuple[int, bytes], ...]:
    """JPEG frames sampled from a bundled clip, exactly as the extract step samples them."""
    frames = import_function_module("extract_frames", "frames")
    with frames.opened(VIDEOS / video, frames.Limits()) as decoder:
        return tuple(decoder.jpegs(frames.sample_indices(decoder.info.frame_count, samples)))


def video_bytes(name: str = "test_0.mp4") -> bytes:
    return (VIDEOS / name).read_bytes()


def path_of(name: str) -> Path:
    return VIDEOS / name
