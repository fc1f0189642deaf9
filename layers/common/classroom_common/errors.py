"""Typed errors the steps raise; their class names become the Step Functions ``Error``."""

import json


class ClassroomError(Exception):
    """Base class: a failure a person can act on. Never retried by the state machine."""


class InvalidVideo(ClassroomError):
    """The upload is not a video OpenCV can decode (empty, truncated, or not a video at all)."""


class VideoMissing(ClassroomError):
    """The uploaded object (this version of it) no longer exists."""


class VideoTooLarge(ClassroomError):
    """The upload exceeds a configured limit on bytes, duration or resolution."""


class KnownFacesUnavailable(ClassroomError):
    """The known-faces object is missing or unreadable."""


class StudentTableUnavailable(ClassroomError):
    """The student table cannot be read."""


def readable_cause(cause: str) -> tuple[str, list[str]]:
    """A Lambda error's Step Functions ``Cause`` is its JSON error object: the message, and the trace."""
    try:
        payload = json.loads(cause)
    except (TypeError, ValueError):
        return cause, []
    if not isinstance(payload, dict) or "errorMessage" not in payload:
        return cause, []
    return str(payload["errorMessage"]), list(payload.get("stackTrace") or [])
