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


CRASHES = ("Runtime.ExitError", "Runtime.OutOfMemory", "Lambda.Unknown")  # a sandbox that died


def hint(error: str, cause: str) -> str | None:
    """What a person can do about a failure that is not the video's fault, when the error says."""
    if error == "Runtime.OutOfMemory" or (
        error in CRASHES and ("signal: killed" in cause or "memory" in cause.lower())
    ):
        return (
            "the function's runtime was killed on both attempts, which is what Lambda does when a function "
            "runs out of memory: it may need more memory (MemorySize in template.yaml), or a smaller video"
        )
    if error in CRASHES:
        return "the function's runtime crashed on both attempts; its log says why"
    return None


def describe(state: dict[str, Any], execution: str) -> dict[str, Any]:
    """The error report: the first (and only) entry of ``state["failed"]`` names the step."""
    step, error = next(iter(state["failed"].items()))
    cause, trace = readable_cause(error.get("Cause", ""))
    name = error.get("Error", "Unknown")
    return {
        "video": video_of(state),
        "step": step,
        "error": name,
        "cause": cause,
        "hint": hint(name, cause),
        "execution": execution,
        "trace": trace,
    }
