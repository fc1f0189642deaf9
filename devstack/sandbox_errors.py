"""What Lambda answers when the sandbox fails under the function — its runtime died or the invocation ran
past ``Timeout`` — in either of the two ways AWS reports it to Step Functions.

- ``named`` (the default): the error object names the failure, ``Runtime.ExitError`` or
  ``Sandbox.Timedout``, which Step Functions takes as the ``Error``; the ``Cause`` is that object.
- ``unknown``: the error object has an ``errorMessage`` and no ``errorType``, as Lambda gives for
  unhandled errors (out of memory, timeouts) in many accounts and runtimes. Step Functions then reports
  ``Lambda.Unknown`` with the cause ``The cause could not be determined because Lambda did not return an
  error type. Returned payload: {"errorMessage":"2025-03-25T14:59:02.758Z <request id> Task timed out
  after 902.11 seconds"}`` (``seams`` makes moto's interpreter say that, as AWS does). Only the cause's
  text then tells a timeout from a crash.
"""

import datetime
import json
import signal
from typing import Literal

Style = Literal["named", "unknown"]
STYLES: tuple[Style, ...] = ("named", "unknown")

# What Step Functions says when a Lambda's error object has no errorType (AWS's words).
UNKNOWN_CAUSE = (
    "The cause could not be determined because Lambda did not return an error type. Returned payload: "
)

_SIGNALS = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
}


def exit_message(request_id: str, exitcode: int | None) -> str:
    """What Lambda says when the runtime process ends mid-invocation (its runtime is in Go, whose
    names for signals these are)."""
    if exitcode is not None and exitcode < 0:
        name = _SIGNALS.get(-exitcode, f"signal {-exitcode}")
        reason = f"signal: {name}" + (
            " (core dumped)" if -exitcode in (signal.SIGSEGV, signal.SIGABRT) else ""
        )
    else:
        reason = f"exit status {exitcode}"
    return f"RequestId: {request_id} Error: Runtime exited with error: {reason}"


def crashed(request_id: str, exitcode: int | None, style: Style = "named") -> str:
    """The error object (JSON) of an invocation whose runtime died."""
    message = exit_message(request_id, exitcode)
    if style == "unknown":
        return json.dumps({"errorMessage": message}, separators=(",", ":"))
    return json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message})


def timed_out(request_id: str, timeout: float, seconds: float, style: Style = "named") -> str:
    """The error object (JSON) of an invocation that ran past its function's ``timeout``, after ``seconds``
    (``named``: Lambda's ``Sandbox.Timedout``; ``unknown``: the log line Lambda returns as the message)."""
    if style == "unknown":
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        message = f"{now} {request_id} Task timed out after {seconds:.2f} seconds"
        return json.dumps({"errorMessage": message}, separators=(",", ":"))
    message = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
    return json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message})
