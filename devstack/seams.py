"""Where the local stack plugs into moto (pinned: see ``MOTO_VERSION``).

1. ``LambdaFunction._invoke_lambda``: moto would run a Docker container; we call our worker pools.
2. ``Rule.send_to_targets``: moto raises ``NotImplementedError`` for a Step Functions target;
   we start the execution, as EventBridge does.
3. ``moto.s3.notifications._send_event_bridge_message``: moto's event differs from S3's
   (unix time, ``eTag``, raw key) and swallows every error; we send S3's shape and log errors.
   ``S3Backend.complete_multipart_upload`` stores the object with ``put_object``, which notifies a
   ``PutObject`` before moto's own ``CompleteMultipartUpload``: S3 sends one event per upload, so the
   inner one is dropped.

The others only make moto's server fast enough for a hundred concurrent runs, changing no behaviour:

4. ``moto.backends.list_of_moto_modules`` lists moto's package folder on every request, under the
   server's global dispatch lock; the list never changes, so it is read once.
5. The Step Functions interpreter builds a new boto3 Lambda client for every task; one per region
   (boto3 clients are thread-safe) serves them all.
6. It also parses the definition with ANTLR for every execution (~0.1 s of Python); the parsed
   program holds only the definition (run state lives in each execution's environment), so it is
   parsed once. An inline Map keeps nothing either: each evaluation makes its own job pool and worker
   frames from its input, and moto already runs one parsed iteration program in several threads at
   once. Definitions with a distributed Map (its map run records) or a Parallel state are parsed
   every time, as moto does.
7. It parses every JSONPath (``$.video``, ResultPath, Choice variables) each time it is evaluated,
   and jsonpath_ng builds a new parser (PLY tables) for each: the parsed paths are kept.
8. moto's request dispatch lists the methods of the handling class with ``inspect`` on every
   request; they are listed once per class.

``check()`` fails loudly if a moto upgrade moves any of them.
"""

import copy
import functools
import inspect
import json
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import moto
from botocore.config import Config
from moto import backends as moto_backends
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.events import models as events_models
from moto.s3 import notifications as s3_notifications
from moto.s3.models import S3Backend
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path

from devstack.lambdas import Throttled
from devstack.s3_events import s3_event

MOTO_VERSION = "5.2.5"
log = logging.getLogger("devstack")

Invoker = Callable[[str, dict], tuple[str, bool, str]]
_invoker: Invoker | None = None


def check() -> None:
    """Raise if moto is not the version whose internals these seams were written against."""
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(
            f"devstack's moto seams are written for moto {MOTO_VERSION}, found {moto.__version__}"
        )
    expected = {
        LambdaFunction._invoke_lambda: ["self", "event"],
        events_models.Rule.send_to_targets: ["self", "original_event", "transform_input"],
        s3_notifications._send_event_bridge_message: ["account_id", "bucket", "event_name", "key"],
        s3_notifications.send_event: ["account_id", "event_name", "bucket", "key"],
        S3Backend.complete_multipart_upload: ["self", "bucket_name", "multipart_id", "body"],
        moto_backends.list_of_moto_modules: [],
        lambda_eval_utils.boto_client_for: ["region", "service", "state_credentials"],
        AmazonStateLanguageParser.parse: ["definition"],
        json_path.parse: ["path", "debug"],
        result_path.parse: ["string"],
        moto_responses.method_names_from_class: ["clazz"],
    }
    for function, parameters in expected.items():
        found = list(inspect.signature(getattr(function, "__wrapped__", function)).parameters)
        if found != parameters:
            raise RuntimeError(f"moto's {function.__qualname__}{found} changed; expected {parameters}")


class TooManyRequestsException(LambdaClientError):
    code = 429

    def __init__(self, message: str) -> None:
        super().__init__("TooManyRequestsException", message)


def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    assert _invoker is not None, "devstack.seams.install() was not called"
    if isinstance(event, str):
        event = json.loads(event or "{}")
    try:
        return _invoker(self.function_name, event if event is not None else {})
    except Throttled as error:
        raise TooManyRequestsException(str(error)) from error


def _send_to_targets(self: events_models.Rule, original_event: dict, transform_input: bool = True) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    others = []
    for target in self.targets:
        if ":states:" not in target["Arn"]:
            others.append(target)
            continue
        from moto.stepfunctions.responses import get_backend

        backend = get_backend(self.account_id, self.region_name)
        execution = backend.start_execution(
            target["Arn"], name=str(uuid.uuid4()), execution_input=json.dumps(original_event)
        )
        log.debug("rule %s started %s", self.name, execution.execution_arn)
    if others:
        rule = copy.copy(self)
        rule.targets = others
        _original_send_to_targets(rule, original_event, transform_input)


def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    from moto.events.models import events_backends

    event = s3_event(
        bucket.name, key.name, key.size, key.etag, key.version_id, event_name, account_id, bucket.region_name
    )
    for event_bus in events_backends[account_id][bucket.region_name].event_buses.values():
        for rule in list(event_bus.rules.values()):
            try:
                rule.send_to_targets(event, transform_input=False)
            except Exception:
                log.exception("delivering %s to rule %s failed", event["detail-type"], rule.name)


_completing = threading.local()  # set while this request thread completes a multipart upload


def _complete_multipart_upload(self: S3Backend, bucket_name: str, multipart_id: str, body: Any) -> Any:
    _completing.active = True
    try:
        return _original_complete_multipart_upload(self, bucket_name, multipart_id, body)
    finally:
        _completing.active = False


def _send_event(account_id: str, event_name: str, bucket: Any, key: Any) -> None:
    """moto's notifications, less the ``PutObject`` its multipart completion makes on the way."""
    if event_name == s3_notifications.S3NotificationEvent.OBJECT_CREATED_PUT_EVENT and getattr(
        _completing, "active", False
    ):
        return
    _original_send_event(account_id, event_name, bucket, key)


_original_complete_multipart_upload = S3Backend.complete_multipart_upload
_original_send_event = s3_notifications.send_event
_original_send_to_targets = events_models.Rule.send_to_targets
_original_boto_client_for = lambda_eval_utils.boto_client_for
_moto_modules = tuple(moto_backends.list_of_moto_modules())


@functools.cache
def _lambda_client(region: str):
    """As moto's interpreter configures it (no retries: the ASL's Retry decides), but shared."""
    return boto3.client(
        "lambda",
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
        aws_access_key_id="ak",
        aws_secret_access_key="sk",  # noqa: S106
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=60,
            read_timeout=24 * 3600,
            max_pool_connections=256,
        ),
    )


_original_parse = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=16)
def _parse_once(definition: str):
    return _original_parse(definition)


def cacheable(definition: str) -> bool:
    """Whether the parsed program holds no run state: no distributed Map, no Parallel state."""
    return '"DISTRIBUTED"' not in definition and '"Parallel"' not in definition


def _parse(definition: str):
    if not cacheable(definition):
        return _original_parse(definition)
    return _parse_once(definition)


def _boto_client_for(region: str, service: str, state_credentials: Any = None):
    if service == "lambda":
        return _lambda_client(region)
    return _original_boto_client_for(region, service, state_credentials)


_json_path_parse = functools.lru_cache(maxsize=1024)(json_path.parse)
_result_path_parse = functools.lru_cache(maxsize=1024)(result_path.parse)
_method_names = functools.cache(moto_utils.method_names_from_class)


def install(invoker: Invoker) -> None:
    """Route moto's Lambda invocations to ``invoker`` and wire S3 → EventBridge → Step Functions."""
    global _invoker
    check()
    _invoker = invoker
    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
    s3_notifications._send_event_bridge_message = _send_event_bridge_message
    s3_notifications.send_event = _send_event
    S3Backend.complete_multipart_upload = _complete_multipart_upload  # type: ignore[method-assign]
    moto_backends.list_of_moto_modules = lambda: _moto_modules
    lambda_eval_utils.boto_client_for = _boto_client_for
    AmazonStateLanguageParser.parse = staticmethod(_parse)  # type: ignore[method-assign]
    json_path.parse = _json_path_parse
    result_path.parse = _result_path_parse
    moto_responses.method_names_from_class = _method_names
