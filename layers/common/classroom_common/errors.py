"""Typed errors the steps raise (their class names become the Step Functions ``Error``), and transient
AWS failures turned into the one name the state machine retries."""

import functools
import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError


class ClassroomError(Exception):
    """Base class: a failure a person can act on. Never retried by the state machine."""


class InvalidVideo(ClassroomError):
    """The upload is not a video OpenCV can decode (empty, truncated, or not a video at all)."""


class InvalidImage(ClassroomError):
    """The upload is, or is named as, a class photo (JPEG, PNG, WebP) that OpenCV cannot decode: corrupt,
    cut short, or not that image at all."""


class VideoMissing(ClassroomError):
    """The uploaded object (this version of it) no longer exists."""


class VideoTooLarge(ClassroomError):
    """The upload (a video or a photo) exceeds a configured limit on bytes, duration or resolution."""


class KnownFacesUnavailable(ClassroomError):
    """The known-faces object is missing or unreadable."""


class StudentTableUnavailable(ClassroomError):
    """The student table cannot be read."""


class TransientAwsError(Exception):
    """S3 or DynamoDB throttled us or failed (5xx) past the SDK's own retries: the state machine
    retries the step under this name (botocore raises a plain ClientError for S3's SlowDown)."""


_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
}


def is_transient(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in _TRANSIENT_CODES or status >= 500


def transient_errors(handler: Callable) -> Callable:
    """A transient AWS failure leaves the handler as TransientAwsError, which the state machine retries."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except ClientError as error:
            if is_transient(error):
                raise TransientAwsError(str(error)) from error
            raise

    return wrapper


# Step Functions' cause for a Lambda error object without an errorType (reported as Lambda.Unknown).
_UNKNOWN_PAYLOAD = "Returned payload: "


def readable_cause(cause: str) -> tuple[str, list[str]]:
    """A Lambda error's Step Functions ``Cause`` is its JSON error object: the message, and the trace.
    For ``Lambda.Unknown`` the object follows "… did not return an error type. Returned payload: "."""
    _, marker, returned = cause.partition(_UNKNOWN_PAYLOAD) if isinstance(cause, str) else ("", "", "")
    try:
        payload = json.loads(returned if marker else cause)
    except (TypeError, ValueError):
        return cause, []
    if not isinstance(payload, dict) or "errorMessage" not in payload:
        return cause, []
    return str(payload["errorMessage"]), list(payload.get("stackTrace") or [])
