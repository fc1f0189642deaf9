"""The state machine as a graph (states and transitions from its ASL definition), laid out in layers."""

import json
from dataclasses import dataclass, field


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
class StateGraph:
    """The states (nodes, placed by ``layout``) and the transitions between them."""

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


def graph(definition: dict) -> StateGraph:
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
    return StateGraph(nodes, edges, back)


NODE_H = 52
ROW = NODE_H + 46
GAP = 44
MARGIN = 28
TOP = 64  # room for the Start marker


def node_width(g: StateGraph) -> float:
    return max([170.0] + [len(n.name) * 7.6 + 36 for n in g.nodes.values()])


def layout(g: StateGraph) -> tuple[float, float]:
    """Place the nodes; returns the drawing's width and height.

    Layer by layer, each node goes under its normal (Next/Default/Choice) predecessors, spread
    when a state has several successors; a state reached only through Catch goes one column to
    the right of its catchers, so the error path runs beside the happy path as in the console.
    """
    width = node_width(g)
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
