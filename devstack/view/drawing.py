"""The state machine drawn as inline SVG, each state coloured by what happened to it in one execution."""

import itertools
from dataclasses import dataclass
from urllib.parse import quote

from devstack import history
from devstack.view.graph import GAP, MARGIN, NODE_H, Edge, Node, StateGraph, graph, layout, node_width
from devstack.view.text import esc, seconds_text


@dataclass
class StateRun:
    status: str = "not-reached"
    visits: int = 0
    attempts: int = 0
    seconds: float = 0.0
    error: str = ""


def state_runs(steps: list[history.Step]) -> dict[str, StateRun]:
    runs_: dict[str, StateRun] = {}
    for step in (s for s in steps if s.iteration is None):
        run = runs_.setdefault(step.name, StateRun())
        run.status, run.visits = step.status, run.visits + 1
        run.attempts += step.attempts
        run.seconds += step.seconds or 0.0
        if step.errors:
            run.error = step.errors[-1]["error"]
    return runs_


def taken(steps: list[history.Step]) -> set[tuple[str, str, bool]]:
    """The transitions this execution made: (from, to, through a Catch)."""
    outer = [s for s in steps if s.iteration is None]  # a Map's inner states are not drawn
    return {(a.name, b.name, a.status == "caught") for a, b in itertools.pairwise(outer)}


@dataclass
class Route:
    path: str
    label: tuple[float, float, str]  # x, y, text-anchor
    reach: float  # the rightmost x it touches


def _rounded(points: list[tuple[float, float]], radius: float = 10) -> str:
    """An orthogonal polyline with rounded corners, as an SVG path."""
    d = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
    for (x0, y0), (x1, y1), (x2, y2) in zip(points, points[1:], points[2:], strict=False):
        r1 = min(radius, (abs(x1 - x0) + abs(y1 - y0)) / 2)
        r2 = min(radius, (abs(x2 - x1) + abs(y2 - y1)) / 2)
        r = min(r1, r2)
        ax = x1 - r * ((x1 > x0) - (x1 < x0))
        ay = y1 - r * ((y1 > y0) - (y1 < y0))
        bx = x1 + r * ((x2 > x1) - (x2 < x1))
        by = y1 + r * ((y2 > y1) - (y2 < y1))
        d += f" L{ax:.1f},{ay:.1f} Q{x1:.1f},{y1:.1f} {bx:.1f},{by:.1f}"
    return d + f" L{points[-1][0]:.1f},{points[-1][1]:.1f}"


def _route(g: StateGraph, edge: Edge, width: float, lane: int) -> Route:
    """How one edge is drawn, and where its label goes."""
    a, b = g.nodes[edge.source], g.nodes[edge.target]
    half = width / 2

    def leftmost(node: Node) -> bool:
        return all(n.x >= node.x for n in g.nodes.values() if n.layer == node.layer)

    if edge in g.back:  # a loop: down, left of everything, up, and in from the left or from above
        x = min(n.x for n in g.nodes.values()) - half - GAP / 2 - 8 * lane
        below = a.y + NODE_H + 14
        out = [(a.x - half, a.y + NODE_H / 2)] if leftmost(a) else [(a.x, a.y + NODE_H), (a.x, below)]
        if leftmost(b):
            into = [(x, b.y + NODE_H / 2), (b.x - half, b.y + NODE_H / 2)]
        else:
            into = [(x, b.y - 16), (b.x - 14, b.y - 16), (b.x - 14, b.y)]
        points = [*out, (x, out[-1][1]), *into]
        return Route(_rounded(points), (x + 5, (a.y + b.y + NODE_H) / 2, "start"), a.x + half)
    span = b.layer - a.layer
    if edge.kind != "catch" and span == 1:
        y0, y1 = a.y + NODE_H, b.y
        label = (b.x + 7, y1 - 7, "start")
        if abs(a.x - b.x) < 1:
            return Route(f"M{a.x:.1f},{y0:.1f} L{b.x:.1f},{y1:.1f}", label, a.x + half)
        mid = (y0 + y1) / 2
        path = f"M{a.x:.1f},{y0:.1f} C{a.x:.1f},{mid:.1f} {b.x:.1f},{mid:.1f} {b.x:.1f},{y1:.1f}"
        return Route(path, label, max(a.x, b.x) + half)
    # Out of the side of the source, along a free vertical channel, into the top of the target.
    between = [n for n in g.nodes.values() if a.layer < n.layer < b.layer]
    right = b.x >= a.x
    channel = b.x
    if any(abs(n.x - channel) < half + 6 for n in between) or abs(b.x - a.x) < half:
        if right:
            channel = max([n.x + half for n in between] + [a.x + half]) + GAP / 2
        else:
            channel = min([n.x - half for n in between] + [a.x - half]) - GAP / 2
    start = (a.x + half if right else a.x - half, a.y + NODE_H / 2 + (6 if edge.kind == "catch" else 0))
    above = b.y - 14
    points = [start, (channel, start[1]), (channel, above), (b.x, above), (b.x, b.y)]
    if abs(channel - b.x) < 1:
        points = [start, (channel, start[1]), (b.x, b.y)]
    label = (start[0] + 8, start[1] - 5, "start") if right else (start[0] - 8, start[1] - 5, "end")
    return Route(_rounded(points), label, max(x for x, _ in points))


_STATUS_TEXT = {
    "succeeded": "succeeded",
    "caught": "caught",
    "failed": "failed",
    "running": "running",
    "not-reached": "not reached",
}


def svg(definition: dict, steps: list[history.Step] | None = None) -> str:
    """The state machine as inline SVG; with ``steps``, each state coloured by its fate."""
    g = graph(definition)
    width, height = layout(g)
    node_w = node_width(g)
    ran = state_runs(steps or [])
    moves = taken(steps or [])
    parts = ["<defs>"]
    for marker in ("next", "catch", "taken", "taken-catch"):
        parts.append(
            f'<marker id="arrow-{marker}" class="arrow-{marker}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">'
            '<path d="M0,0 L10,5 L0,10 z"/></marker>'
        )
    parts.append("</defs>")
    start = g.nodes.get(definition.get("StartAt", ""))
    if start:
        reached = " taken" if steps else ""
        parts.append(
            f'<g class="start{reached}"><rect x="{start.x - 28:.1f}" y="10" width="56" height="24" rx="12"/>'
            f'<text x="{start.x:.1f}" y="26">Start</text></g>'
            f'<path class="edge edge-next{reached}" d="M{start.x:.1f},34 L{start.x:.1f},{start.y:.1f}" '
            f'marker-end="url(#arrow-{"taken" if steps else "next"})"/>'
        )
    lanes: dict[str, int] = {}
    labels = []
    reach = 0.0
    drawn = [(e, (e.source, e.target, e.kind == "catch") in moves) for e in g.edges]
    for edge, was_taken in sorted(drawn, key=lambda d: (d[1], d[0].kind != "catch")):  # taken ones on top
        lane = lanes.setdefault(edge.source, len(lanes)) if edge in g.back else 0
        route = _route(g, edge, node_w, lane)
        reach = max(reach, route.reach)
        kind = "catch" if edge.kind == "catch" else "next"
        marker = ("taken-" if was_taken else "") + kind if kind == "catch" or not was_taken else "taken"
        classes = f"edge edge-{edge.kind}" + (" taken" if was_taken else "")
        title = f"{edge.source} → {edge.target}" + (f" ({edge.kind}: {edge.label})" if edge.label else "")
        parts.append(
            f'<path class="{classes}" d="{route.path}" marker-end="url(#arrow-{marker})" '
            f'data-from="{esc(edge.source)}" data-to="{esc(edge.target)}" data-kind="{edge.kind}">'
            f"<title>{esc(title)}</title></path>"
        )
        if edge.kind != "next" and edge.label:
            text = edge.label if len(edge.label) <= 24 else edge.label[:23] + "…"
            lx, ly, anchor = route.label
            labels.append(
                f'<text class="edge-label edge-label-{edge.kind}" x="{lx:.1f}" y="{ly:.1f}" '
                f'text-anchor="{anchor}">{esc(text)}</text>'
            )
    parts.extend(labels)
    for node in g.nodes.values():
        run = ran.get(node.name, StateRun())
        bits = [node.type]
        if run.visits:
            bits.append(seconds_text(run.seconds))
        if run.attempts > 1:
            bits.append(f"{run.attempts} attempts")
        if run.visits > 1:
            bits.append(f"{run.visits} visits")
        detail = " · ".join(bits)
        tip = f"{node.name} ({node.type}): {_STATUS_TEXT[run.status]}" + (
            f", {run.error}" if run.error else ""
        )
        x, y = node.x - node_w / 2, node.y
        parts.append(
            f'<a href="#step-{quote(node.name)}">'
            f'<g class="state state-{run.status}" data-state="{esc(node.name)}" '
            f'data-status="{run.status}" data-attempts="{run.attempts}"><title>{esc(tip)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w:.1f}" height="{NODE_H}" rx="8"/>'
            f'<text class="name" x="{node.x:.1f}" y="{y + 21:.1f}">{esc(node.name)}</text>'
            f'<text class="detail" x="{node.x:.1f}" y="{y + 39:.1f}">{esc(detail)}</text>'
        )
        if run.status in ("caught", "failed") and run.error:
            badge = run.error if len(run.error) <= 22 else run.error[:21] + "…"
            bw = len(badge) * 6.4 + 14
            parts.append(
                f'<g class="badge badge-{run.status}"><rect x="{x + node_w - bw + 6:.1f}" y="{y - 9:.1f}" '
                f'width="{bw:.1f}" height="18" rx="9"/>'
                f'<text x="{x + node_w - bw / 2 + 6:.1f}" y="{y + 4:.1f}">'
                f"{esc(badge)}</text></g>"
            )
        elif run.attempts > 1:
            parts.append(
                f'<g class="badge badge-retry"><rect x="{x + node_w - 34:.1f}" y="{y - 9:.1f}" width="40" '
                f'height="18" rx="9"/>'
                f'<text x="{x + node_w - 14:.1f}" y="{y + 4:.1f}">×{run.attempts}</text></g>'
            )
        parts.append("</g></a>")
    width = max(width, reach + MARGIN + 10)
    head = (
        f'<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="state machine graph">'
    )
    return head + "".join(parts) + "</svg>"
