"""An execution's state-by-state timeline, as the Step Functions console shows it."""

from dataclasses import dataclass, field
from datetime import datetime

from devstack.deployment import Deployment


@dataclass
class Attempt:
    """One call of a Task's resource: a retried step has several."""

    scheduled: datetime
    ended: datetime | None = None
    error: str | None = None
    cause: str | None = None

    @property
    def seconds(self) -> float | None:
        return (self.ended - self.scheduled).total_seconds() if self.ended else None


@dataclass
class Step:
    name: str
    type: str
    entered: datetime
    exited: datetime | None = None
    attempts: int = 0
    errors: list[dict] = field(default_factory=list)  # every failed attempt: {error, cause}
    input: str | None = None
    output: str | None = None
    status: str = "running"  # running | succeeded | caught | failed
    calls: list[Attempt] = field(default_factory=list)  # each attempt, with its own time and error

    @property
    def seconds(self) -> float | None:
        return (self.exited - self.entered).total_seconds() if self.exited else None


_SUCCEEDED = ("LambdaFunctionSucceeded", "TaskSucceeded")
_FAILED = (
    "LambdaFunctionFailed",
    "LambdaFunctionTimedOut",
    "TaskFailed",
    "TaskTimedOut",
    "LambdaFunctionScheduleFailed",
    "LambdaFunctionStartFailed",
)


def details(event: dict) -> dict:
    """The ``…EventDetails`` of a history event, whatever its type."""
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {})


def timeline(events: list[dict]) -> tuple[list[Step], dict]:
    """Steps in the order they ran, and the execution's own end ({status, error, cause})."""
    steps: list[Step] = []
    end: dict = {"status": "RUNNING"}
    for event in events:
        kind, info = event["type"], details(event)
        if kind.endswith("StateEntered"):
            steps.append(
                Step(
                    info["name"],
                    kind.removesuffix("StateEntered"),
                    event["timestamp"],
                    input=info.get("input"),
                )
            )
        elif kind.endswith("StateExited") and steps:
            step = steps[-1]
            step.exited, step.output = event["timestamp"], info.get("output")
            step.status = "caught" if step.errors and len(step.errors) >= step.attempts else "succeeded"
        elif kind in ("LambdaFunctionScheduled", "TaskScheduled") and steps:
            steps[-1].attempts += 1
            steps[-1].calls.append(Attempt(event["timestamp"]))
        elif kind in _SUCCEEDED and steps and steps[-1].calls:
            steps[-1].calls[-1].ended = event["timestamp"]
        elif kind in _FAILED and steps:
            error = {"error": info.get("error", kind), "cause": info.get("cause", "")}
            steps[-1].errors.append(error)
            if steps[-1].calls and steps[-1].calls[-1].ended is None:
                steps[-1].calls[-1].ended = event["timestamp"]
                steps[-1].calls[-1].error, steps[-1].calls[-1].cause = error["error"], error["cause"]
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            end = {
                "status": kind.removeprefix("Execution").upper(),
                **{k: info[k] for k in ("error", "cause") if k in info},
            }
            if kind == "ExecutionSucceeded":
                end["status"] = "SUCCEEDED"
            if steps and steps[-1].exited is None:
                steps[-1].exited = event["timestamp"]
                steps[-1].status = "failed" if kind != "ExecutionSucceeded" else "succeeded"
    return steps, end


def events(deployment: Deployment, execution_arn: str) -> list[dict]:
    """Every history event of one execution, oldest first."""
    sfn = deployment.client("stepfunctions")
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [e for page in pages for e in page["events"]]


def history(deployment: Deployment, execution_arn: str) -> tuple[list[Step], dict]:
    return timeline(events(deployment, execution_arn))


def render(steps: list[Step], end: dict) -> str:
    """A plain-text table: one line per state, then each failed attempt's error and cause."""
    lines = [f"{'state':<22} {'type':<8} {'status':<10} {'tries':>5} {'seconds':>8}"]
    for s in steps:
        seconds = f"{s.seconds:.3f}" if s.seconds is not None else "-"
        lines.append(f"{s.name:<22} {s.type:<8} {s.status:<10} {s.attempts or '':>5} {seconds:>8}")
        for e in s.errors:
            lines.append(f"    {e['error']}: {e['cause'][:300]}")
    lines.append(
        f"execution {end['status']}"
        + (f": {end.get('error')}: {end.get('cause', '')[:300]}" if end.get("error") else "")
    )
    return "\n".join(lines)
