"""Where the local stack changes what moto does, so that it behaves as AWS does for this app (moto is
pinned: ``moto_pin``). What only makes moto faster is in ``speedups``.

1. ``LambdaFunction._invoke_lambda``: moto would run a Docker container; we call our worker pools
   (an injected ``lambdas.Refused`` answers as Lambda's service does: ``Throttled`` with 429
   ``TooManyRequestsException``).
2. ``Rule.send_to_targets``: moto raises ``NotImplementedError`` for a Step Functions target;
   we start the execution, as EventBridge does. It sends nothing to a Lambda target; we invoke the
   function asynchronously, as EventBridge does (in a thread, retried twice on an error, as Lambda
   retries an asynchronous invocation).
3. ``moto.s3.notifications._send_event_bridge_message``: moto's event differs from S3's
   (unix time, ``eTag``, raw key) and swallows every error; we send S3's shape and log errors.
   ``S3Backend.complete_multipart_upload`` stores the object with ``put_object``, which notifies a
   ``PutObject`` before moto's own ``CompleteMultipartUpload``: S3 sends one event per upload, so the
   inner one is dropped.

4. ``StateTaskServiceLambda._from_error``: moto names a Lambda error whose object has no ``errorType``
   ``Exception``; Step Functions names it ``Lambda.Unknown``, with the cause "The cause could not be
   determined because Lambda did not return an error type. Returned payload: …" (``sandbox_errors``).

5. S3 objects on disk, moved in pieces (``object_files``): moto reads each request's body whole, writes
   every value through memory, joins a completed multipart upload's parts in memory (2.5x the upload),
   reads a whole object for every GetObject, ranged or not, and its Flask apps' debug mode keeps each
   request (and its body) in a reference cycle until the cyclic GC runs. ``S3Response.setup_class``,
   ``FakeKey.value``, ``FakeMultipart.complete`` and ``S3Response.get_object`` are patched so that
   bodies, parts and objects go between sockets and files 256 KiB at a time, and Flask's
   ``attach_enctype_error_multidict`` does nothing: the stack's memory does not grow with an upload's
   size. Objects above 5 MiB are unnamed files in the stack's own folder, closed when it stops.

``check()`` fails loudly if a moto upgrade moves any of them.
"""

import copy
import json
import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction
from moto.events import models as events_models
from moto.s3 import notifications as s3_notifications
from moto.s3.models import S3Backend
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
    StateTaskServiceLambda,
)

from devstack import object_files
from devstack.lambdas import Refused
from devstack.moto_pin import check_signatures
from devstack.s3_events import s3_event
from devstack.sandbox_errors import UNKNOWN_CAUSE

log = logging.getLogger("devstack")

Invoker = Callable[[str, dict], tuple[str, bool, str]]
_invoker: Invoker | None = None


def check() -> None:
    """Raise if moto is not the version whose internals these seams were written against."""
    check_signatures(
        {
            LambdaFunction._invoke_lambda: ["self", "event"],
            events_models.Rule.send_to_targets: ["self", "original_event", "transform_input"],
            s3_notifications._send_event_bridge_message: ["account_id", "bucket", "event_name", "key"],
            s3_notifications.send_event: ["account_id", "event_name", "bucket", "key"],
            S3Backend.complete_multipart_upload: ["self", "bucket_name", "multipart_id", "body"],
            StateTaskServiceLambda._from_error: ["self", "env", "ex"],
            **object_files.PATCHED,
        }
    )


class LambdaServiceError(LambdaClientError):
    """Lambda's service refusing an Invoke call (``TooManyRequestsException`` is a 429)."""

    def __init__(self, refused: Refused) -> None:
        self.code = refused.status
        super().__init__(refused.code, str(refused))


def _invoke_lambda(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
    assert _invoker is not None, "devstack.seams.install() was not called"
    if isinstance(event, str):
        event = json.loads(event or "{}")
    try:
        return _invoker(self.function_name, event if event is not None else {})
    except Refused as error:
        raise LambdaServiceError(error) from error


def _from_error(self: StateTaskServiceLambda, env: Any, ex: Exception) -> Any:
    """moto's failure event, named ``Lambda.Unknown`` as Step Functions names it when the function's
    error object says no ``errorType``."""
    failure = _original_from_error(self, env, ex)
    if isinstance(ex, lambda_eval_utils.LambdaFunctionErrorException) and not _error_type(ex.payload):
        details = failure.event_details["taskFailedEventDetails"]
        details["error"], details["cause"] = "Lambda.Unknown", UNKNOWN_CAUSE + ex.payload
        failure.error_name = CustomErrorName("Lambda.Unknown")
    return failure


def _error_type(payload: str) -> str | None:
    try:
        found = json.loads(payload)
    except ValueError:
        return None
    return found.get("errorType") if isinstance(found, dict) else None


def _send_to_targets(self: events_models.Rule, original_event: dict, transform_input: bool = True) -> None:
    if not self.event_pattern.matches_event(original_event):
        return
    others = []
    for target in self.targets:
        if ":lambda:" in target["Arn"]:
            name = target["Arn"].rsplit(":", 1)[1]
            threading.Thread(target=_invoke_async, args=(name, original_event), daemon=True).start()
            continue
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


def _invoke_async(function_name: str, event: dict, attempts: int = 3) -> None:
    """An asynchronous invocation: tried up to three times, as Lambda does, errors logged."""
    for attempt in range(attempts):
        try:
            payload, errored, _logs = _invoker(function_name, event)  # type: ignore[misc]
        except Exception:
            log.exception("invoking %s failed", function_name)
            errored, payload = True, ""
        if not errored:
            return
        log.warning("%s failed (attempt %d of %d): %s", function_name, attempt + 1, attempts, payload[:500])


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
_original_from_error = StateTaskServiceLambda._from_error


def install(invoker: Invoker, objects: Path | None = None) -> None:
    """Route moto's Lambda invocations to ``invoker``, wire S3 → EventBridge → Step Functions, and keep
    S3 objects above 5 MiB on disk in ``objects``."""
    global _invoker
    check()
    _invoker = invoker
    object_files.install(objects)
    LambdaFunction._invoke_lambda = _invoke_lambda  # type: ignore[method-assign]
    events_models.Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
    s3_notifications._send_event_bridge_message = _send_event_bridge_message
    s3_notifications.send_event = _send_event
    S3Backend.complete_multipart_upload = _complete_multipart_upload  # type: ignore[method-assign]
    StateTaskServiceLambda._from_error = _from_error  # type: ignore[method-assign]
