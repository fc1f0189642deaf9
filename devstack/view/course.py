"""The course pages: the courses with a roster, and one course's register as a grid coloured by status,
each cell linking to the run of that session (and its annotated frame), with the roster's totals."""

from urllib.parse import quote

from classroom_common.courses import ROSTER
from classroom_common.register import CELLS, place
from devstack import runs
from devstack.deployment import Deployment
from devstack.view.pages import page
from devstack.view.text import esc

COLOURS = {  # status -> background
    "present": "#cfeccf",
    "late": "#fbe3a6",
    "left_early": "#fbd0a6",
    "late_left_early": "#f6b98c",
    "absent": "#f3c2c2",
}
STYLE = (
    "<style>table.register td.cell{text-align:center;font-weight:600}"
    "table.register td.cell a{color:inherit;text-decoration:none;display:block}"
    + "".join(f"td.status-{s}{{background:{c}}}" for s, c in COLOURS.items())
    + "</style>"
)
LEGEND = ", ".join(
    f'<span class="legend" style="background:{COLOURS[s]}">{CELLS[s]}</span> {s.replace("_", " ")}'
    for s in COLOURS
)


def course_names(deployment: Deployment) -> list[str]:
    """The courses that have a roster."""
    client, table = deployment.client("dynamodb"), deployment["CoursesTableName"]
    found = set()
    for page_ in client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression="course, #i", ExpressionAttributeNames={"#i": "item"}
    ):
        found.update(i["course"]["S"] for i in page_["Items"] if i["item"]["S"].startswith(ROSTER))
    return sorted(found)


def runs_by_session(executions: list[runs.Run], course: str) -> dict[str, list[runs.Run]]:
    """The course's runs by session, newest first (the list is)."""
    found: dict[str, list[runs.Run]] = {}
    for run in executions:
        where = place(run.video)
        if where and where.course == course:
            found.setdefault(where.session, []).append(run)
    return found


def courses_page(names: list[str]) -> str:
    items = "".join(f'<li><a href="/course?name={quote(n)}">{esc(n)}</a></li>' for n in names)
    body = (
        f"<h1>Courses</h1><ul>{items}</ul>"
        if names
        else "<h1>Courses</h1><p>No course has a roster yet: <code>classroom roster COURSE FILE</code>.</p>"
    )
    return page("Courses", body, crumb="courses")


def course_page(
    course: str, sessions: list[str], register: list[dict], sessions_runs: dict[str, list[runs.Run]]
) -> str:
    """The register: a row per roster student, a cell per session linking to its newest run."""
    head = "".join(f"<th>{esc(s)}</th>" for s in sessions)
    lines = []
    for row in register:
        cells = []
        for session in sessions:
            status = row["sessions"][session]
            found = sessions_runs.get(session, [])
            text = esc(CELLS[status])
            if found:
                run = found[0]
                title = f"{status.replace('_', ' ')}: {run.video}"
                text = f'<a href="/execution?arn={quote(run.arn)}" title="{esc(title)}">{text}</a>'
                if run.annotated_key:
                    frame = f"/frame?arn={quote(run.arn)}"
                    text += f' <a class="frame" href="{frame}" title="the annotated frame">▣</a>'
            data = f'data-session="{esc(session)}" data-status="{status}"'
            cells.append(f'<td class="cell status-{status}" {data}>{text}</td>')
        totals = "".join(f"<td>{row[k]}</td>" for k in ("attended", "late", "left_early", "absent"))
        lines.append(
            f'<tr data-student="{esc(row["name"])}"><th>{esc(row["name"])}</th>{"".join(cells)}{totals}</tr>'
        )
    table = (
        f'<table class="register" id="register"><thead><tr><th>student</th>{head}'
        "<th>attended</th><th>late</th><th>left early</th><th>absent</th></tr></thead>"
        f"<tbody>{''.join(lines)}</tbody></table>"
    )
    legend = f"<p>{LEGEND}. A cell links to its session's newest run, ▣ to its annotated frame.</p>"
    body = f"{STYLE}<h1>{esc(course)}: attendance register</h1>{table}{legend}"
    return page(f"{course} register", body, crumb=f'<a href="/courses">courses</a> · {esc(course)}')
