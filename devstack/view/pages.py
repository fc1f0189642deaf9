"""The HTML pages: the executions list and one execution (graph, facts, steps, events)."""

import json
from contextlib import suppress
from datetime import datetime
from importlib import resources
from urllib.parse import quote

from classroom_common.errors import readable_cause
from devstack import history, runs
from devstack.view.drawing import svg
from devstack.view.text import esc, seconds_text

CSS = (resources.files(__package__) / "view.css").read_text()
STATUSES = ("succeeded", "caught", "failed", "running", "not-reached")


def page(title: str, body: str, refresh: bool = False, crumb: str = "") -> str:
    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><a href="/">Smart Classroom · executions</a><span class="crumb">{crumb}</span></header>'
        f"<main>{body}</main></body></html>"
    )


def _status(status: str) -> str:
    text = status.replace("_", " ").replace("-", " ").lower()
    return f'<span class="status status-{esc(status.lower())}">{esc(text)}</span>'


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "–"


def _json(text: str | None, limit: int = 60_000) -> str:
    if text is None:
        return ""
    with suppress(TypeError, ValueError):
        text = json.dumps(json.loads(text), indent=2)
    return text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"


def _cause(cause: str) -> tuple[str, str]:
    message, trace = readable_cause(cause)
    return message, "".join(trace)


def _error_html(error: str, cause: str, caught: bool = False) -> str:
    message, trace = _cause(cause or "")
    text = f'<div class="error{" caught" if caught else ""}"><b>{esc(error)}</b>'
    if message:
        text += f": {esc(message)}"
    if trace:
        text += f"<details><summary>stack trace</summary><pre>{esc(trace)}</pre></details>"
    return text + "</div>"


def list_page(machine: str, executions: list[runs.Run]) -> str:
    rows = []
    for run in executions:
        link = f"/execution?arn={quote(run.arn, safe='')}"
        found = runs.who(run.students, run.unknown_faces, run.missing) if run.status == "SUCCEEDED" else ""
        error = run.error["error"] if run.error else ""
        rows.append(
            f'<tr class="execution" data-arn="{esc(run.arn)}" data-status="{esc(run.status)}">'
            f"<td>{_status(run.status)}</td>"
            f'<td><a href="{link}">{esc(run.video or "–")}</a></td>'
            f'<td class="students">{esc(found)}</td>'
            f"<td>{_when(run.started)}</td>"
            f'<td class="num">{seconds_text(run.seconds)}</td>'
            f'<td class="error-name" title="{esc(run.message)}">{esc(error)}</td>'
            f'<td class="mono"><a href="{link}">{esc(run.name)}</a></td></tr>'
        )
    counts: dict[str, int] = {}
    for run in executions:
        counts[run.status] = counts.get(run.status, 0) + 1
    summary = (
        " · ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in sorted(counts.items())) or "none yet"
    )
    table = (
        '<table id="executions"><thead><tr><th>Status</th><th>Video</th><th>Students</th><th>Started</th>'
        '<th class="num">Duration</th><th>Error</th><th>Execution</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="muted">No executions yet. Upload a video to the input bucket '
        "(<code>classroom run</code>), "
        "or start this page with <code>--demo</code>.</p>"
    )
    body = (
        f'<h1>Executions <span class="muted summary">{esc(summary)}</span></h1>'
        f'<div class="card"><p class="muted machine">State machine <code>{esc(machine)}</code></p>'
        f"{table}</div>"
    )
    running = any(run.status == "RUNNING" for run in executions)
    return page("Executions · Smart Classroom", body, refresh=running)


def _legend() -> str:
    keys = "".join(_status(s) for s in STATUSES)
    return (
        f'<div class="legend">{keys}'
        '<span class="edge-key"><svg width="30" height="8"><path d="M0,4 L30,4" stroke="#3c4043" '
        'stroke-width="2.2"/></svg>taken</span>'
        '<span class="edge-key"><svg width="30" height="8"><path d="M0,4 L30,4" stroke="#e8a25c" '
        'stroke-width="1.5" stroke-dasharray="6 4"/></svg>catch</span></div>'
    )


def _io(label: str, text: str | None) -> str:
    if text is None:
        return ""
    body = _json(text)
    preview = " ".join(body.split())[:48]
    return (
        f'<details class="io"><summary>{label} <span class="muted mono">{esc(preview)}…</span></summary>'
        f"<pre>{esc(body)}</pre></details>"
    )


def _steps_table(steps: list[history.Step], end: dict, started: datetime | None) -> str:
    rows = []
    for i, step in enumerate(steps, 1):
        offset = (step.entered - started).total_seconds() if started else None
        errors = ""
        if len(step.calls) > 1:
            items = []
            for n, call in enumerate(step.calls, 1):
                what = (
                    f'<span class="bad">{esc(call.error)}</span>: {esc(_cause(call.cause or "")[0][:200])}'
                    if call.error
                    else ("succeeded" if call.ended else "running")
                )
                items.append(f"<li>attempt {n} · {seconds_text(call.seconds)} · {what}</li>")
            errors += f'<ol class="attempts">{"".join(items)}</ol>'
        last = step.errors[-1] if step.errors else None
        if not last and step.status == "failed" and end.get("error"):  # a Fail state: the execution's error
            last = {"error": end["error"], "cause": end.get("cause", "")}
        shown = last and step.status in ("caught", "failed")
        error = _error_html(last["error"], last["cause"], caught=step.status == "caught") if shown else ""
        anchor = step.name if step.iteration is None else f"{step.name}-{step.iteration}"
        iteration = f' data-iteration="{step.iteration}"' if step.iteration is not None else ""
        kind = f"{step.type} · {step.iterations} iterations" if step.type == "Map" else step.type
        rows.append(
            f'<tr id="step-{quote(anchor)}" class="step{" inner" if iteration else ""}" '
            f'data-state="{esc(step.name)}"{iteration} data-status="{step.status}">'
            f'<td class="num">{i}</td><td><b>{esc(step.label)}</b></td><td>{esc(kind)}</td>'
            f"<td>{_status(step.status)}</td>"
            f'<td class="num">{step.attempts or ""}</td>'
            f'<td class="num">{"+" + seconds_text(offset) if offset is not None else "–"}</td>'
            f'<td class="num">{seconds_text(step.seconds)}</td>'
            f"<td>{error}{errors}{_io('input', step.input)}{_io('output', step.output)}</td></tr>"
        )
    return (
        '<table id="steps"><thead><tr><th class="num">#</th><th>State</th><th>Type</th><th>Status</th>'
        '<th class="num">Attempts</th><th class="num">Started</th><th class="num">Duration</th>'
        f"<th>Error · input · output</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _events_table(events: list[dict], started: datetime | None) -> str:
    rows = []
    state = ""
    for event in events:
        details = history.details(event)
        state = (
            details.get("name", state) if event["type"].endswith(("StateEntered", "StateExited")) else state
        )
        offset = (event["timestamp"] - started).total_seconds() if started else None
        text = details.get("error", "")
        if details.get("cause"):
            text += f": {_cause(details['cause'])[0][:160]}"
        rows.append(
            f'<tr><td class="num">{event["id"]}</td><td>{esc(event["type"])}</td><td>{esc(state)}</td>'
            f'<td class="num">{"+" + seconds_text(offset) if offset is not None else "–"}</td>'
            f"<td>{esc(text)}</td></tr>"
        )
    return (
        f"<details><summary>All {len(events)} history events</summary>"
        '<table id="events"><thead><tr><th class="num">ID</th><th>Type</th><th>State</th>'
        f'<th class="num">Elapsed</th><th>Error</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</details>"
    )


def _result(run: runs.Run) -> list[tuple[str, str]]:
    """What a succeeded run produced: its students and its CSV."""
    if run.status != "SUCCEEDED":
        return []
    facts = [("Students", esc(runs.who(run.students, missing=run.missing)))]
    if run.unknown_faces:
        facts.append(("Unknown faces", esc(run.unknown_faces)))
    if run.output_key:
        facts.append(("CSV", f"<code>{esc(run.output_key)}</code>"))
    return facts


def clock(seconds: float) -> str:
    """``h:mm:ss`` into the video."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _person(name: str, missing: list[str]) -> str:
    """A recognized person's name, marked when the student table has no record of them."""
    note = f' <span class="muted no-record">({runs.NO_RECORD})</span>' if name in missing else ""
    return f"{esc(name)}{note}"


def _attendance(run: runs.Run) -> str:
    """When each student was seen: first, last, and frames seen out of frames sampled."""
    if not run.attendance or run.status != "SUCCEEDED":
        return ""
    sampled = run.attendance.get("frames_sampled", 0)
    rows = "".join(
        f'<tr class="presence" data-name="{esc(p["name"])}"><td>{_person(p["name"], run.missing)}</td>'
        f'<td class="num">{clock(p["first_seen"])}</td><td class="num">{clock(p["last_seen"])}</td>'
        f'<td class="num">{p["frames_seen"]} / {sampled}</td></tr>'
        for p in run.attendance.get("students", [])
    )
    key = f'<p class="muted">{esc(run.attendance_key)}</p>' if run.attendance_key else ""
    return (
        '<div class="card" id="attendance"><h2>Attendance</h2>'
        '<table><thead><tr><th>Student</th><th class="num">First seen</th><th class="num">Last seen</th>'
        f'<th class="num">Frames seen</th></tr></thead><tbody>{rows}</tbody></table>{key}</div>'
    )


def _frame(run: runs.Run) -> str:
    """The frame RecognizeFaces annotated (faces boxed and named), served from the artifacts bucket."""
    if not run.annotated_key:
        return ""
    named = runs.who(run.students, missing=run.missing)
    return (
        '<div class="card frame-card" id="frame"><h2>Recognized</h2>'
        f'<img class="frame" src="/frame?arn={quote(run.arn, safe="")}" '
        f'alt="the frame RecognizeFaces used, faces boxed and named: {esc(named)}">'
        f'<p class="muted">{esc(run.annotated_key)}</p></div>'
    )


def execution_page(execution: dict, definition: dict, events: list[dict]) -> str:
    steps, end = history.timeline(events)
    status = execution["status"]
    started = execution.get("startDate")
    run = runs.summary(execution)
    video = run.video
    facts = [
        ("Video", f"<code>{esc(video)}</code>" if video else "–"),
        ("Started", _when(started)),
        ("Stopped", _when(execution.get("stopDate"))),
        ("Duration", seconds_text(run.seconds)),
        ("Execution", f'<span class="mono">{esc(execution["executionArn"])}</span>'),
    ]
    error = (
        _error_html(execution.get("error", ""), execution.get("cause", "")) if execution.get("error") else ""
    )
    facts[1:1] = _result(run)
    details = (
        '<div class="card"><h2>Execution</h2><dl class="facts">'
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        + f"</dl>{error}{_io('execution input', execution.get('input'))}"
        + f"{_io('execution output', execution.get('output'))}</div>"
    )
    graph_card = (
        f'<div class="card graph-card" id="graph"><h2>Graph</h2>{_legend()}{svg(definition, steps)}</div>'
    )
    body = (
        f"<h1>{esc(video or execution['name'])} {_status(status)}</h1>"
        f'<div class="row">{graph_card}<div class="column">{details}{_attendance(run)}{_frame(run)}'
        "</div></div>"
        f'<div class="card"><h2>Steps</h2>{_steps_table(steps, end, started)}</div>'
        f'<div class="card"><h2>Events</h2>{_events_table(events, started)}</div>'
    )
    crumb = f"/ {esc(execution['name'])}"
    return page(
        f"{video or execution['name']} · {status.lower()}", body, refresh=status == "RUNNING", crumb=crumb
    )
