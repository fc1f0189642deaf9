"""Describe a failed run: which step failed, with what error, for which upload."""

from typing import Any

from pydantic import ValidationError

from classroom_common.errors import readable_cause
from classroom_common.models import Video


def video_of(run: dict[str, Any]) -> dict[str, Any]:
    """The upload, from the run's state (after ExtractFrames) or from the S3 event (before)."""
    if "video" in run:
        return run["video"]
    try:
        return Video.from_event(run).model_dump()
    except ValidationError:
        detail = run.get("detail") or {}
        return {
            "bucket": (detail.get("bucket") or {}).get("name"),
            "key": (detail.get("object") or {}).get("key"),
        }


CRASHES = ("Runtime.ExitError", "Runtime.OutOfMemory", "Lambda.Unknown")  # a sandbox that died
TIMEOUTS = ("Sandbox.Timedout", "States.Timeout")
# Lambda's words for an invocation that ran past the function's Timeout. AWS may report it as
# Sandbox.Timedout or as Lambda.Unknown (as it reports a crash): only this text tells them apart.
TIMED_OUT = "Task timed out"


def hint(error: str, cause: str) -> str | None:
    """What a person can do about a failure that is not the video's fault, when the error says."""
    if error in TIMEOUTS or (error in CRASHES and TIMED_OUT in cause):
        return (
            "the function ran past its Timeout on both attempts: it may need a longer Timeout or more memory "
            "(Timeout, MemorySize in template.yaml; more memory also brings more CPU), or a shorter video"
        )
    if error == "Runtime.OutOfMemory" or (
        error in CRASHES and ("signal: killed" in cause or "memory" in cause.lower())
    ):
        return (
            "the function's runtime was killed on both attempts, which is what Lambda does when a function "
            "runs out of memory: it may need more memory (MemorySize in template.yaml), or a smaller video"
        )
    if error == "Lambda.Unknown":
        return "Lambda did not say why the function failed, on both attempts (Lambda.Unknown); its log says"
    if error in CRASHES:
        return "the function's runtime crashed on both attempts; its log says why"
    return None


def describe(run: dict[str, Any], execution: str) -> dict[str, Any]:
    """The error report: the first (and only) entry of ``run["failed"]`` names the step."""
    step, error = next(iter(run["failed"].items()))
    cause, trace = readable_cause(error.get("Cause", ""))
    name = error.get("Error", "Unknown")
    return {
        "video": video_of(run),
        "step": step,
        "error": name,
        "cause": cause,
        "hint": hint(name, cause),
        "execution": execution,
        "trace": trace,
    }
