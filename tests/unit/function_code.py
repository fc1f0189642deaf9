"""A function's code imported as its Lambda imports it, without the local stack.

On Lambda a function's folder is /var/task and the layers' packages are in /opt/python, so
functions/extract_frames/app.py imports its neighbour by its bare name (``from frames import …``).
Here the folder (functions/<folder>) and the layers' folders (layers/common, layers/vision) go first
on ``sys.path`` for the import, and come off it after.

Every function has an ``app`` module (and two functions may share a folder, with other handler modules),
so a handler module is loaded under a name of its own, ``<folder>_<module>``, afresh each time (a cold
start). A helper module (``frames``) is imported once, by its bare name, as the handler imports it:
``import_function_module`` refuses a bare name that another folder's module already holds.
"""

import importlib
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
LAYERS = (ROOT / "layers" / "common", ROOT / "layers" / "vision")


@contextmanager
def on_path(folder: str) -> Iterator[None]:
    """functions/``folder`` and the layers first on ``sys.path`` inside the block, as it was after."""
    entries = [str(FUNCTIONS / folder), *map(str, LAYERS)]
    sys.path[:0] = entries
    try:
        yield
    finally:
        for entry in entries:
            sys.path.remove(entry)


def import_function_module(folder: str, name: str) -> ModuleType:
    """functions/``folder``/``name``.py, imported by its bare name as the function's handler imports it."""
    with on_path(folder):
        module = importlib.import_module(name)
    expected = FUNCTIONS / folder / f"{name}.py"
    if Path(module.__file__ or "") != expected:
        raise ImportError(
            f"{name!r} is already {module.__file__}, not {expected}: give one of them another name"
        )
    return module


def load_handler(folder: str, module: str = "app") -> ModuleType:
    """functions/``folder``/``module``.py run afresh under the name ``<folder>_<module>``: its module
    globals read the environment again, as in a new Lambda container."""
    location = FUNCTIONS / folder / f"{module}.py"
    spec = importlib.util.spec_from_file_location(f"{folder}_{module}", location)
    assert spec is not None and spec.loader is not None, location
    loaded = importlib.util.module_from_spec(spec)
    with on_path(folder):
        spec.loader.exec_module(loaded)
    return loaded
