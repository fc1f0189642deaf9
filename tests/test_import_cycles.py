"""No two of the project's modules import each other, directly or in a loop.

Every import counts, the ones inside functions too (a loop of lazy imports is still a loop). Modules are
named as they are imported: ``devstack.runs``, ``classroom_common.models`` (layers/common), and a
function's modules by their folder, ``functions.extract_frames.frames``, since its handler imports its
neighbours by their bare names (``from frames import …``), as on Lambda.

    python -m tests.test_import_cycles    # prints each loop found, or that there is none
"""

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bench", "devstack", "synthetic", "statemachine", "tests")  # imported from the repository root
LAYERS = ROOT / "layers"
FUNCTIONS = ROOT / "functions"


def modules() -> dict[str, Path]:
    """Every first-party module: its import name -> its file."""
    found: dict[str, Path] = {}

    def add(base: Path, path: Path, prefix: str = "") -> None:
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[prefix + ".".join(parts)] = path

    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            add(ROOT, path)
    for layer in LAYERS.iterdir():
        for path in layer.rglob("*.py"):
            add(layer, path)
    for path in FUNCTIONS.rglob("*.py"):
        add(FUNCTIONS, path, "functions.")
    return found


def imported(path: Path, name: str, known: dict[str, Path]) -> Iterator[str]:
    """The first-party modules ``path`` (module ``name``) imports."""
    function = name.split(".")[1] if name.startswith("functions.") else None
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def resolve(target: str) -> str | None:
        """The longest known module ``target`` names (``a.b.c``: module a.b.c, else a.b, else a)."""
        while target:
            for candidate in (f"functions.{function}.{target}" if function else "", target):
                if candidate in known:  # a function's neighbour by its bare name first
                    return candidate
            target = target.rpartition(".")[0]
        return None

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if (module := resolve(target)) and module != name:
                yield module


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(path, name, known)) for name, path in known.items()}


def loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(edges)))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_graph_sees_the_imports_it_is_about():
    """Control: bare-name imports of a neighbour, lazy imports and layer packages are all edges."""
    edges = graph()
    assert "functions.extract_frames.frames" in edges["functions.extract_frames.app"]
    assert "bench.classroom" in edges["bench.run"]  # imported inside main()
    assert "classroom_common.keys" in edges["devstack.runs"]


def test_a_loop_is_found():
    assert loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_two_modules_import_each_other_directly_or_in_a_loop():
    assert loops(graph()) == []


if __name__ == "__main__":
    edges = graph()
    found = loops(edges)
    print(f"{len(edges)} modules, {sum(map(len, edges.values()))} imports between them")
    for group in found:
        print("loop:", " <-> ".join(group))
    print("no loop" if not found else f"{len(found)} loop(s)")
    sys.exit(1 if found else 0)
