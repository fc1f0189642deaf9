"""Describe a failed run: which step failed, with what error, for which upload."""

from typing import Any

from pydantic import ValidationError

from classroom_common.errors import readable_cause
from classroom_common.models import Video


def video_of(state: dict[str, Any]) -> dict[str, Any]:
    """The upload, from the state (after step 1) or from the original S3 event (before)."""
    if "video" in state:
        return state["video"]
    try:
        return Video.from_event(state).model_dump()
    except ValidationError:
        detail = state.get("detail") or {}
        return {
            "bucket": (detail.get("bucket") or {}).get("name"),
            "key": (detail.get("object") or {}).get("key"),
        }


def describe(state: dict[str, Any], execution: str) -> dict[str, Any]:
    """The error report: the first (and only) entry of ``state["failed"]`` names the step."""
    step, error = next(iter(state["failed"].items()))
    cause, trace = readable_cause(error.get("Cause", ""))
    return {
        "video": video_of(state),
        "step": step,
        "error": error.get("Error", "Unknown"),
        "cause": cause,
        "execution": execution,
        "trace": trace,
    }
