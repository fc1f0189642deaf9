"""An execution's state-by-state timeline, as the Step Functions console shows it."""

from dataclasses import dataclass, field
from datetime import datetime

from botocore.exceptions import ClientError

from classroom_common.errors import readable_cause
from devstack import runs
from devstack.deployment import Deployment
from devstack.mistakes import Mistake


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
    iteration: int | None = None  # the Map iteration a state inside a Map ran in
    iterations: int = 0  # a Map state's iterations

    @property
    def label(self) -> str:
        """The state's name, with its Map iteration for a state inside a Map."""
        return self.name if self.iteration is None else f"{self.name} [{self.iteration}]"

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
    """Steps in the order they ran (a Map's iterations after it, by iteration), and the execution's own
    end ({status, error, cause}).

    Events are told apart by ``previousEventId``: the iterations of a Map run at once and their events
    interleave, but each event follows the previous one of its own iteration.
    """
    steps: list[Step] = []
    end: dict = {"status": "RUNNING"}
    owner: dict[int, Step] = {}  # event id -> the step it belongs to
    iteration: dict[int, int | None] = {}  # event id -> the Map iteration it ran in
    for event in events:
        kind, info = event["type"], details(event)
        number, previous = event.get("id"), event.get("previousEventId")
        chained = previous in owner or previous in iteration
        step = owner.get(previous) if chained else (steps[-1] if steps else None)
        iteration[number] = index = (
            info["index"] if kind == "MapIterationStarted" else iteration.get(previous)
        )
        if kind.startswith("MapIteration") or (kind.startswith("MapState") and kind != "MapStateEntered"):
            step = next((s for s in reversed(steps) if s.type == "Map" and s.iteration is None), step)
            iteration[number] = None if kind != "MapIterationStarted" else index
            if kind == "MapIterationStarted" and step:
                step.iterations += 1
        if kind.endswith("StateEntered"):
            step = Step(
                info["name"],
                kind.removesuffix("StateEntered"),
                event["timestamp"],
                input=info.get("input"),
                iteration=index,
            )
            steps.append(step)
        elif kind.endswith("StateExited") and step:
            step.exited, step.output = event["timestamp"], info.get("output")
            step.status = "caught" if step.errors and len(step.errors) >= step.attempts else "succeeded"
        elif kind in ("LambdaFunctionScheduled", "TaskScheduled") and step:
            step.attempts += 1
            step.calls.append(Attempt(event["timestamp"]))
        elif kind in _SUCCEEDED and step and step.calls:
            step.calls[-1].ended = event["timestamp"]
        elif kind in _FAILED and step:
            error = {"error": info.get("error", kind), "cause": info.get("cause", "")}
            step.errors.append(error)
            if step.calls and step.calls[-1].ended is None:
                step.calls[-1].ended = event["timestamp"]
                step.calls[-1].error, step.calls[-1].cause = error["error"], error["cause"]
        elif kind in ("MapStateFailed", "MapIterationFailed") and step and not step.errors:
            step.errors.append({"error": info.get("error", kind), "cause": info.get("cause", "")})
        elif kind.startswith("Execution") and kind != "ExecutionStarted":
            end = {
                "status": kind.removeprefix("Execution").upper(),
                **{k: info[k] for k in ("error", "cause") if k in info},
            }
            if kind == "ExecutionSucceeded":
                end["status"] = "SUCCEEDED"
            for open_step in (s for s in steps if s.exited is None):
                open_step.exited = event["timestamp"]
                open_step.status = "failed" if kind != "ExecutionSucceeded" else "succeeded"
        if step is not None:
            owner[number] = step
    return grouped(steps), end


def grouped(steps: list[Step]) -> list[Step]:
    """Each Map's inner steps right after it, iteration by iteration (they ran interleaved)."""
    outer = [s for s in steps if s.iteration is None]
    ordered: list[Step] = []
    for i, step in enumerate(outer):
        ordered.append(step)
        if step.type == "Map":
            after = outer[i + 1].entered if i + 1 < len(outer) else None
            inner = [s for s in steps if s.iteration is not None and s.entered >= step.entered]
            inner = [s for s in inner if after is None or s.entered <= after]
            ordered += sorted(inner, key=lambda s: (s.iteration, s.entered))
    return ordered


SHORTEST_ID = 4  # characters of an execution's name that may stand for it


def find(deployment: Deployment, execution: str) -> str:
    """The ARN of the execution ``execution`` names: its ARN, its name, the start of its name (the short
    id ``classroom executions`` prints), or the key of the video it ran on (the newest run of it)."""
    if execution.startswith("arn:"):
        return execution
    listed = runs.executions(deployment)
    for item in listed:
        if item["name"] == execution:
            return item["executionArn"]
    starting = [i for i in listed if len(execution) >= SHORTEST_ID and i["name"].startswith(execution)]
    if len(starting) == 1:
        return starting[0]["executionArn"]
    sfn = deployment.client("stepfunctions")
    for item in listed:  # newest first
        found = runs.identity(sfn.describe_execution(executionArn=item["executionArn"]).get("input") or "")
        if found and found[0] == execution:
            return item["executionArn"]
    if starting:
        names = ", ".join(i["name"] for i in starting[:4])
        raise Mistake(f"{len(starting)} executions' ids start with {execution} ({names}): give more of it")
    raise Mistake(
        f"no execution has the id {execution!r} or ran on a video of that key ({len(listed)} executions "
        "here): `classroom executions` with the same --endpoint or --stack lists them"
    )


def events(deployment: Deployment, execution_arn: str) -> list[dict]:
    """Every history event of one execution, oldest first."""
    sfn = deployment.client("stepfunctions")
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    try:
        return [e for page in pages for e in page["events"]]
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("ExecutionDoesNotExist", "InvalidArn"):
            raise
        raise Mistake(
            f"no execution {execution_arn}: `classroom executions` with the same --endpoint or --stack "
            "lists them (the history takes their id, or a video's key)"
        ) from error


def history(deployment: Deployment, execution_arn: str) -> tuple[list[Step], dict]:
    return timeline(events(deployment, execution_arn))


def render(steps: list[Step], end: dict) -> str:
    """A plain-text table: one line per state, then each failed attempt's error and cause."""
    lines = [f"{'state':<22} {'type':<8} {'status':<10} {'tries':>5} {'seconds':>8}"]
    for s in steps:
        seconds = f"{s.seconds:.3f}" if s.seconds is not None else "-"
        name = s.name if s.iteration is None else f"  {s.label}"
        extra = f"  {s.iterations} iterations" if s.type == "Map" else ""
        lines.append(f"{name:<22} {s.type:<8} {s.status:<10} {s.attempts or '':>5} {seconds:>8}{extra}")
        for e in s.errors:  # the message, not Lambda's JSON error object with its stack trace
            lines.append(f"    {e['error']}: {readable_cause(e['cause'])[0][:300]}")
    lines.append(
        f"execution {end['status']}"
        + (f": {end.get('error')}: {end.get('cause', '')[:300]}" if end.get("error") else "")
    )
    return "\n".join(lines)
