"""``classroom view``: the Step Functions console's execution pages, served on loopback.

One page lists the state machine's executions; one page per execution draws the state machine
(from its ASL definition, as inline SVG) with each state coloured by what happened to it, and
tables its steps (input, output, error, duration, attempts) and raw history events. Everything
is rendered on the server into self-contained HTML: no script, stylesheet or font is fetched.
"""

import argparse
import html
import itertools
import json
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from classroom_common.errors import readable_cause
from devstack import history, runs, seeding
from devstack.deployment import Deployment

HOST = "127.0.0.1"
STATUSES = ("succeeded", "caught", "failed", "running", "not-reached")
_FINISHED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


# --------------------------------------------------------------------------------------------
# The state machine as a graph, and its layout


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # next | choice | default | catch
    label: str = ""


@dataclass
class Node:
    name: str
    type: str
    layer: int = 0
    x: float = 0.0  # centre
    y: float = 0.0  # top


@dataclass
class Graph:
    nodes: dict[str, Node]
    edges: list[Edge]
    back: set[Edge] = field(default_factory=set)  # edges that close a loop, drawn upwards on the left


def _condition(rule: dict) -> str:
    """A short text for a Choice rule."""
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"])
    for key in ("And", "Or"):
        if key in rule:
            return f" {key.lower()} ".join(_condition(r) for r in rule[key])
    if "Not" in rule:
        return f"not ({_condition(rule['Not'])})"
    op = next((k for k in rule if k not in ("Variable", "Next")), "")
    value = rule.get(op)
    return f"{rule.get('Variable', '')} {op} {json.dumps(value) if not isinstance(value, str) else value}"


def _edges(states: dict) -> list[Edge]:
    edges = []
    for name, state in states.items():
        if "Next" in state:
            edges.append(Edge(name, state["Next"], "next"))
        for rule in state.get("Choices", []):
            edges.append(Edge(name, rule["Next"], "choice", _condition(rule)))
        if "Default" in state:
            edges.append(Edge(name, state["Default"], "default", "Default"))
        for catcher in state.get("Catch", []):
            edges.append(Edge(name, catcher["Next"], "catch", ", ".join(catcher.get("ErrorEquals", []))))
    return [e for e in edges if e.target in states]


def graph(definition: dict) -> Graph:
    """Nodes in layers (longest path from StartAt over the forward edges) and every transition."""
    states = definition.get("States", {})
    nodes = {name: Node(name, state.get("Type", "?")) for name, state in states.items()}
    edges = _edges(states)
    out: dict[str, list[Edge]] = {name: [] for name in states}
    for edge in sorted(edges, key=lambda e: e.kind == "catch"):  # the normal path first
        out[edge.source].append(edge)
    back: set[Edge] = set()
    order: list[str] = []  # postorder
    seen: set[str] = set()
    on_path: set[str] = set()

    def visit(name: str) -> None:
        seen.add(name)
        on_path.add(name)
        for edge in out[name]:
            if edge.target in on_path:
                back.add(edge)
            elif edge.target not in seen:
                visit(edge.target)
        on_path.discard(name)
        order.append(name)

    start = definition.get("StartAt")
    for root in ([start] if start in states else []) + list(states):
        if root not in seen:
            visit(root)
    for name in reversed(order):  # topological order of the forward edges
        for edge in out[name]:
            if edge not in back:
                nodes[edge.target].layer = max(nodes[edge.target].layer, nodes[name].layer + 1)
    return Graph(nodes, edges, back)


NODE_H = 52
ROW = NODE_H + 46
GAP = 44
MARGIN = 28
TOP = 64  # room for the Start marker


def _width(g: Graph) -> float:
    return max([170.0] + [len(n.name) * 7.6 + 36 for n in g.nodes.values()])


def layout(g: Graph) -> tuple[float, float]:
    """Place the nodes; returns the drawing's width and height.

    Layer by layer, each node goes under its normal (Next/Default/Choice) predecessors, spread
    when a state has several successors; a state reached only through Catch goes one column to
    the right of its catchers, so the error path runs beside the happy path as in the console.
    """
    width = _width(g)
    column = width + GAP
    preds: dict[str, list[Edge]] = {name: [] for name in g.nodes}
    normal_children: dict[str, list[str]] = {name: [] for name in g.nodes}
    for edge in g.edges:
        if edge in g.back:
            continue
        preds[edge.target].append(edge)
        if edge.kind != "catch" and edge.target not in normal_children[edge.source]:
            normal_children[edge.source].append(edge.target)
    layers: dict[int, list[Node]] = {}
    for node in g.nodes.values():
        layers.setdefault(node.layer, []).append(node)
    placed: set[str] = set()
    for layer in sorted(layers):
        wanted: list[tuple[int, float, int, Node]] = []
        for index, node in enumerate(layers[layer]):
            normal = [e for e in preds[node.name] if e.kind != "catch" and e.source in placed]
            catch = [e for e in preds[node.name] if e.kind == "catch" and e.source in placed]
            if normal:
                xs = []
                for e in normal:
                    siblings = normal_children[e.source]
                    xs.append(
                        g.nodes[e.source].x + (siblings.index(node.name) - (len(siblings) - 1) / 2) * column
                    )
                wanted.append((0, sum(xs) / len(xs), index, node))
            elif catch:
                wanted.append((1, sum(g.nodes[e.source].x for e in catch) / len(catch) + column, index, node))
            else:
                wanted.append((2, 0.0, index, node))
        used: list[float] = []
        for _, x, _, node in sorted(wanted, key=lambda w: (w[0], w[1], w[2])):
            candidates = [x] + [u + d for u in used for d in (column, -column)]
            free = [c for c in candidates if all(abs(c - u) >= column - 0.5 for u in used)]
            node.x = min(free, key=lambda c: (abs(c - x), -c))
            used.append(node.x)
            placed.add(node.name)
    left = min((n.x for n in g.nodes.values()), default=0.0) - width / 2
    right = max((n.x for n in g.nodes.values()), default=0.0) + width / 2
    shift = MARGIN - left + (GAP if g.back else 0)
    for node in g.nodes.values():
        node.x += shift
        node.y = TOP + node.layer * ROW
    depth = max((n.layer for n in g.nodes.values()), default=0)
    return right - left + 2 * MARGIN + (GAP if g.back else 0), TOP + depth * ROW + NODE_H + MARGIN


# --------------------------------------------------------------------------------------------
# What happened to each state in one execution


@dataclass
class StateRun:
    status: str = "not-reached"
    visits: int = 0
    attempts: int = 0
    seconds: float = 0.0
    error: str = ""


def state_runs(steps: list[history.Step]) -> dict[str, StateRun]:
    runs_: dict[str, StateRun] = {}
    for step in steps:
        run = runs_.setdefault(step.name, StateRun())
        run.status, run.visits = step.status, run.visits + 1
        run.attempts += step.attempts
        run.seconds += step.seconds or 0.0
        if step.errors:
            run.error = step.errors[-1]["error"]
    return runs_


def taken(steps: list[history.Step]) -> set[tuple[str, str, bool]]:
    """The transitions this execution made: (from, to, through a Catch)."""
    return {(a.name, b.name, a.status == "caught") for a, b in itertools.pairwise(steps)}


# --------------------------------------------------------------------------------------------
# SVG


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


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


def _route(g: Graph, edge: Edge, width: float, lane: int) -> Route:
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
    node_w = _width(g)
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
            f'data-from="{_e(edge.source)}" data-to="{_e(edge.target)}" data-kind="{edge.kind}">'
            f"<title>{_e(title)}</title></path>"
        )
        if edge.kind != "next" and edge.label:
            text = edge.label if len(edge.label) <= 24 else edge.label[:23] + "…"
            lx, ly, anchor = route.label
            labels.append(
                f'<text class="edge-label edge-label-{edge.kind}" x="{lx:.1f}" y="{ly:.1f}" '
                f'text-anchor="{anchor}">{_e(text)}</text>'
            )
    parts.extend(labels)
    for node in g.nodes.values():
        run = ran.get(node.name, StateRun())
        bits = [node.type]
        if run.visits:
            bits.append(_seconds(run.seconds))
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
            f'<g class="state state-{run.status}" data-state="{_e(node.name)}" '
            f'data-status="{run.status}" data-attempts="{run.attempts}"><title>{_e(tip)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{node_w:.1f}" height="{NODE_H}" rx="8"/>'
            f'<text class="name" x="{node.x:.1f}" y="{y + 21:.1f}">{_e(node.name)}</text>'
            f'<text class="detail" x="{node.x:.1f}" y="{y + 39:.1f}">{_e(detail)}</text>'
        )
        if run.status in ("caught", "failed") and run.error:
            badge = run.error if len(run.error) <= 22 else run.error[:21] + "…"
            bw = len(badge) * 6.4 + 14
            parts.append(
                f'<g class="badge badge-{run.status}"><rect x="{x + node_w - bw + 6:.1f}" y="{y - 9:.1f}" '
                f'width="{bw:.1f}" height="18" rx="9"/>'
                f'<text x="{x + node_w - bw / 2 + 6:.1f}" y="{y + 4:.1f}">'
                f"{_e(badge)}</text></g>"
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


# --------------------------------------------------------------------------------------------
# Pages

CSS = """
:root { --ok:#1e8e3e; --ok-bg:#e6f4ea; --caught:#c26401; --caught-bg:#fef3e0; --bad:#d93025; --bad-bg:#fce8e6;
  --run:#1a73e8; --run-bg:#e8f0fe; --idle:#9aa0a6; --line:#dadce0; --ink:#202124; --muted:#5f6368; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); background: #f6f7f9; }
header { background: #232f3e; color: #fff; padding: 10px 24px; display: flex; align-items: baseline;
  gap: 18px; }
header a { color: #fff; text-decoration: none; font-weight: 600; font-size: 16px; }
header .crumb { color: #c9d1d9; }
main { padding: 18px 24px 40px; max-width: 1600px; }
h1 { font-size: 20px; margin: 0 0 12px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
  margin-bottom: 16px; }
.row { display: flex; gap: 16px; align-items: flex-start; flex-wrap: wrap; }
.row > .card { flex: 1 1 380px; min-width: 0; }
.row > .card.graph-card { flex: 0 0 auto; max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #eceef1; vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: var(--muted);
  font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr:target { background: #fff8c5; }
a { color: #0b57d0; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12px; }
pre { background: #f6f8fa; border: 1px solid #eceef1; border-radius: 6px; padding: 8px; margin: 6px 0 0;
  max-height: 340px; overflow: auto; white-space: pre-wrap; word-break: break-word; }
details > summary { cursor: pointer; color: #0b57d0; }
.status { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 600;
  border: 1px solid; white-space: nowrap; }
.status-succeeded { color: var(--ok); background: var(--ok-bg); }
.status-failed, .status-timed_out, .status-aborted { color: var(--bad); background: var(--bad-bg); }
.status-caught { color: var(--caught); background: var(--caught-bg); }
.status-running { color: var(--run); background: var(--run-bg); }
.status-not-reached { color: var(--muted); background: #fff; border-style: dashed; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.error { border-left: 4px solid var(--bad); background: var(--bad-bg); padding: 8px 12px; border-radius: 4px;
  margin: 8px 0; }
.error.caught { border-color: var(--caught); background: var(--caught-bg); }
.error b { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.muted { color: var(--muted); }
td.error-name { color: var(--bad); }
h1 .summary { font-size: 14px; font-weight: 400; }
p.machine { margin-top: 0; }
.legend { display: flex; gap: 10px; flex-wrap: wrap; margin: 0 0 8px; font-size: 12px; }
.legend .edge-key { display: inline-flex; align-items: center; gap: 4px; color: var(--muted); }
svg.graph { display: block; font-family: system-ui, "DejaVu Sans", sans-serif; }
svg.graph .state rect { stroke-width: 2; }
svg.graph .state text { text-anchor: middle; }
svg.graph .state .name { font-size: 13px; font-weight: 600; }
svg.graph .state .detail { font-size: 11px; fill: var(--muted); }
svg.graph .state-succeeded rect { fill: var(--ok-bg); stroke: var(--ok); }
svg.graph .state-caught rect { fill: var(--caught-bg); stroke: var(--caught); }
svg.graph .state-failed rect { fill: var(--bad-bg); stroke: var(--bad); }
svg.graph .state-running rect { fill: var(--run-bg); stroke: var(--run); }
svg.graph .state-not-reached rect { fill: #fff; stroke: #bdc1c6; stroke-dasharray: 5 4; }
svg.graph .state-not-reached .name { fill: var(--muted); font-weight: 500; }
svg.graph a:hover rect { stroke-width: 3; }
svg.graph .start rect { fill: #fff; stroke: #80868b; stroke-width: 1.5; }
svg.graph .start.taken rect { stroke: #3c4043; }
svg.graph .start text { font-size: 11px; text-anchor: middle; fill: var(--muted); }
svg.graph .edge { fill: none; stroke: #b0b5ba; stroke-width: 1.5; }
svg.graph .edge-catch { stroke: #e8a25c; stroke-dasharray: 6 4; }
svg.graph .edge.taken { stroke: #3c4043; stroke-width: 2.2; }
svg.graph .edge-catch.taken { stroke: var(--caught); stroke-width: 2.4; }
svg.graph .arrow-next path { fill: #b0b5ba; }
svg.graph .arrow-catch path { fill: #e8a25c; }
svg.graph .arrow-taken path { fill: #3c4043; }
svg.graph .arrow-taken-catch path { fill: var(--caught); }
svg.graph .edge-label { font-size: 10.5px; fill: var(--muted); }
svg.graph .edge-label-catch { fill: var(--caught); }
svg.graph .badge rect { stroke: #fff; stroke-width: 1.5; }
svg.graph .badge text { font-size: 10.5px; font-weight: 600; fill: #fff; text-anchor: middle; }
svg.graph .badge-caught rect { fill: var(--caught); }
svg.graph .badge-failed rect { fill: var(--bad); }
svg.graph .badge-retry rect { fill: var(--run); }
.attempts { margin: 4px 0 0; padding-left: 18px; font-size: 12px; }
.attempts .bad { color: var(--bad); }
"""


def _page(title: str, body: str, refresh: bool = False, crumb: str = "") -> str:
    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{meta}'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f'<header><a href="/">Smart Classroom · executions</a><span class="crumb">{crumb}</span></header>'
        f"<main>{body}</main></body></html>"
    )


def _status(status: str) -> str:
    text = status.replace("_", " ").replace("-", " ").lower()
    return f'<span class="status status-{_e(status.lower())}">{_e(text)}</span>'


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "–"


def _duration(execution: dict) -> float | None:
    start, stop = execution.get("startDate"), execution.get("stopDate")
    if start and stop:
        return (stop - start).total_seconds()
    if start:
        return (datetime.now(UTC) - start).total_seconds()
    return None


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
    text = f'<div class="error{" caught" if caught else ""}"><b>{_e(error)}</b>'
    if message:
        text += f": {_e(message)}"
    if trace:
        text += f"<details><summary>stack trace</summary><pre>{_e(trace)}</pre></details>"
    return text + "</div>"


def video_key(execution_input: str | None) -> str:
    found = runs.identity(execution_input or "")
    return found[0] if found else ""


def list_page(machine: str, executions: list[dict]) -> str:
    rows = []
    for e in executions:
        link = f"/execution?arn={quote(e['executionArn'], safe='')}"
        rows.append(
            f'<tr class="execution" data-arn="{_e(e["executionArn"])}" data-status="{_e(e["status"])}">'
            f"<td>{_status(e['status'])}</td>"
            f'<td><a href="{link}">{_e(e.get("video") or "–")}</a></td>'
            f'<td class="mono"><a href="{link}">{_e(e["name"])}</a></td>'
            f"<td>{_when(e.get('startDate'))}</td>"
            f'<td class="num">{_seconds(_duration(e))}</td>'
            f'<td class="mono error-name">{_e(e.get("error") or "")}</td></tr>'
        )
    counts: dict[str, int] = {}
    for e in executions:
        counts[e["status"]] = counts.get(e["status"], 0) + 1
    summary = (
        " · ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in sorted(counts.items())) or "none yet"
    )
    table = (
        '<table id="executions"><thead><tr><th>Status</th><th>Video</th><th>Execution</th><th>Started</th>'
        f'<th class="num">Duration</th><th>Error</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        if rows
        else '<p class="muted">No executions yet. Upload a video to the input bucket '
        "(<code>classroom run</code>), "
        "or start this page with <code>--demo</code>.</p>"
    )
    body = (
        f'<h1>Executions <span class="muted summary">{_e(summary)}</span></h1>'
        f'<div class="card"><p class="muted machine">State machine <code>{_e(machine)}</code></p>'
        f"{table}</div>"
    )
    running = any(e["status"] == "RUNNING" for e in executions)
    return _page("Executions · Smart Classroom", body, refresh=running)


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
        f'<details class="io"><summary>{label} <span class="muted mono">{_e(preview)}…</span></summary>'
        f"<pre>{_e(body)}</pre></details>"
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
                    f'<span class="bad">{_e(call.error)}</span>: {_e(_cause(call.cause or "")[0][:200])}'
                    if call.error
                    else ("succeeded" if call.ended else "running")
                )
                items.append(f"<li>attempt {n} · {_seconds(call.seconds)} · {what}</li>")
            errors += f'<ol class="attempts">{"".join(items)}</ol>'
        last = step.errors[-1] if step.errors else None
        if not last and step.status == "failed" and end.get("error"):  # a Fail state: the execution's error
            last = {"error": end["error"], "cause": end.get("cause", "")}
        shown = last and step.status in ("caught", "failed")
        error = _error_html(last["error"], last["cause"], caught=step.status == "caught") if shown else ""
        rows.append(
            f'<tr id="step-{quote(step.name)}" class="step" data-state="{_e(step.name)}" '
            f'data-status="{step.status}">'
            f'<td class="num">{i}</td><td><b>{_e(step.name)}</b></td><td>{_e(step.type)}</td>'
            f"<td>{_status(step.status)}</td>"
            f'<td class="num">{step.attempts or ""}</td>'
            f'<td class="num">{"+" + _seconds(offset) if offset is not None else "–"}</td>'
            f'<td class="num">{_seconds(step.seconds)}</td>'
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
            f'<tr><td class="num">{event["id"]}</td><td>{_e(event["type"])}</td><td>{_e(state)}</td>'
            f'<td class="num">{"+" + _seconds(offset) if offset is not None else "–"}</td>'
            f"<td>{_e(text)}</td></tr>"
        )
    return (
        f"<details><summary>All {len(events)} history events</summary>"
        '<table id="events"><thead><tr><th class="num">ID</th><th>Type</th><th>State</th>'
        f'<th class="num">Elapsed</th><th>Error</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        "</details>"
    )


def _result(output: str | None) -> list[tuple[str, str]]:
    """What a succeeded Smart Classroom run produced: its students and its CSV."""
    try:
        result = json.loads(output or "")
        students = result["lookup"]["students"]
        found = [f"{s['name']} ({s.get('major', '?')}, {s.get('year', '?')})" for s in students]
        facts = [("Students", _e(", ".join(found) or "nobody known"))]
        if result.get("recognition", {}).get("unknown_faces"):
            facts.append(("Unknown faces", _e(result["recognition"]["unknown_faces"])))
        if "output" in result:
            facts.append(("CSV", f"<code>{_e(result['output'].get('key', ''))}</code>"))
        return facts
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def execution_page(execution: dict, definition: dict, events: list[dict]) -> str:
    steps, end = history.timeline(events)
    status = execution["status"]
    started = execution.get("startDate")
    video = video_key(execution.get("input"))
    facts = [
        ("Video", f"<code>{_e(video)}</code>" if video else "–"),
        ("Started", _when(started)),
        ("Stopped", _when(execution.get("stopDate"))),
        ("Duration", _seconds(_duration(execution))),
        ("Execution", f'<span class="mono">{_e(execution["executionArn"])}</span>'),
    ]
    error = (
        _error_html(execution.get("error", ""), execution.get("cause", "")) if execution.get("error") else ""
    )
    facts[1:1] = _result(execution.get("output"))
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
        f"<h1>{_e(video or execution['name'])} {_status(status)}</h1>"
        f'<div class="row">{graph_card}{details}</div>'
        f'<div class="card"><h2>Steps</h2>{_steps_table(steps, end, started)}</div>'
        f'<div class="card"><h2>Events</h2>{_events_table(events, started)}</div>'
    )
    crumb = f"/ {_e(execution['name'])}"
    return _page(
        f"{video or execution['name']} · {status.lower()}", body, refresh=status == "RUNNING", crumb=crumb
    )


# --------------------------------------------------------------------------------------------
# Data and server


class Viewer:
    """Reads executions through the Step Functions API, caching what can no longer change."""

    limit = 200  # the newest executions listed

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.machine = deployment["StateMachineArn"]
        self._described: dict[str, dict] = {}  # finished executions' descriptions
        self._finished: dict[str, tuple[dict, dict, list[dict]]] = {}
        self._definitions: dict[str, dict] = {}

    @property
    def sfn(self):
        return self.deployment.client("stepfunctions")

    def executions(self) -> list[dict]:
        pages = self.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.machine, PaginationConfig={"MaxItems": self.limit}
        )
        items = [e for page in pages for e in page["executions"]]
        for item in items:
            arn = item["executionArn"]
            described = self._described.get(arn) or self.sfn.describe_execution(executionArn=arn)
            if described["status"] in _FINISHED:
                self._described[arn] = described
            item["video"] = video_key(described.get("input"))
            item["error"] = described.get("error", "")
        return sorted(items, key=lambda e: e["startDate"], reverse=True)

    def definition(self, execution: dict) -> dict:
        arn = execution["executionArn"]
        if arn not in self._definitions:
            try:
                text = self.sfn.describe_state_machine_for_execution(executionArn=arn)["definition"]
            except Exception:  # older APIs: the state machine as it is now
                text = self.sfn.describe_state_machine(stateMachineArn=execution["stateMachineArn"])[
                    "definition"
                ]
            self._definitions[arn] = json.loads(text)
        return self._definitions[arn]

    def execution(self, arn: str) -> tuple[dict, dict, list[dict]]:
        if arn in self._finished:
            return self._finished[arn]
        execution = self.sfn.describe_execution(executionArn=arn)
        found = (execution, self.definition(execution), history.events(self.deployment, arn))
        if execution["status"] in _FINISHED:
            self._finished[arn] = found
        return found


class _Handler(BaseHTTPRequestHandler):
    server: "ViewServer"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        viewer = self.server.viewer
        try:
            if url.path == "/":
                self._send(200, list_page(viewer.machine, viewer.executions()))
            elif url.path == "/execution":
                arn = parse_qs(url.query).get("arn", [""])[0]
                execution, definition, events = viewer.execution(arn)
                self._send(200, execution_page(execution, definition, events))
            elif url.path == "/favicon.ico":
                self.send_response(HTTPStatus.NO_CONTENT)
                self.end_headers()
            else:
                self._send(404, _page("Not found", f"<h1>Not found</h1><p>{_e(url.path)}</p>"))
        except Exception as error:
            message = (
                f'<h1>Could not read it</h1><div class="error"><b>{_e(type(error).__name__)}</b>: '
                f"{_e(error)}</div>"
            )
            self._send(500, _page("Error", message))


class ViewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, deployment: Deployment, port: int = 8008, host: str = HOST) -> None:
        super().__init__((host, port), _Handler)
        self.viewer = Viewer(deployment)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


# --------------------------------------------------------------------------------------------
# `classroom view`


def demo(deployment: Deployment) -> list[runs.Upload]:
    """Seed, then upload the bundled sample videos and one file that is not a video."""
    print(seeding.seed(deployment), file=sys.stderr)
    uploads = [runs.upload(deployment, video) for video in sorted(seeding.SAMPLE_VIDEOS.glob("*.mp4"))]
    with tempfile.TemporaryDirectory() as folder:
        broken = Path(folder) / "broken.mp4"
        broken.write_text("this is not a video\n")
        uploads.append(runs.upload(deployment, broken))
    print(f"uploaded {len(uploads)} videos (one of them broken.mp4, which fails on purpose)", file=sys.stderr)
    return uploads


def cmd_view(
    args: argparse.Namespace, deployment: Callable[[argparse.Namespace, ExitStack], Deployment]
) -> int:
    if args.demo and args.stack:
        print("--demo uploads sample videos; use it with the local stack, not --stack", file=sys.stderr)
        return 2
    with ExitStack() as resources:
        target = deployment(args, resources)
        try:
            server = ViewServer(target, args.port)
        except OSError as error:
            print(f"cannot listen on {HOST}:{args.port}: {error.strerror} (try --port)", file=sys.stderr)
            return 2
        resources.callback(server.server_close)
        if args.demo:
            demo(target)
        print(f"classroom view on {server.url}  (Ctrl-C stops it)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with suppress(KeyboardInterrupt):
            server.serve_forever()
    return 0


def register(subparsers, add_target: Callable, deployment: Callable) -> None:
    view = subparsers.add_parser(
        "view",
        help="browse the executions in a local web page: graph, steps, errors",
        description=(
            "Serve a page on loopback that lists the state machine's executions and, for each one, draws "
            "the state machine with every state coloured by what happened (succeeded, caught, failed, "
            "not reached; retries counted) above a table of its steps with input, output, error and "
            "duration. Without --endpoint or --stack it starts a local stack in this process, which has "
            "no executions until you upload videos: add --demo."
        ),
    )
    view.add_argument("--port", type=int, default=8008, help="port on 127.0.0.1 (default: 8008; 0: any free)")
    view.add_argument(
        "--demo",
        action="store_true",
        help="first seed the students and known faces and upload the bundled sample videos plus one "
        "bad upload (broken.mp4, a text file that fails in ExtractFrames), so there are runs to look at; "
        "local stacks only",
    )
    add_target(view)
    view.set_defaults(handler=lambda args: cmd_view(args, deployment))
