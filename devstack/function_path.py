"""A function's code as its Lambda imports it: the code folder and the layers' packages first on
``sys.path`` (Lambda's /var/task, then /opt/python), so ``from frames import …`` in
functions/extract_frames/app.py finds its neighbour, as it does on AWS.

The one place that puts a function's code on the path: the local stack's workers, the tests and the
bench all go through it, with the folders the template gives the function (``FunctionSpec``).
"""

import importlib
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from devstack.template import FunctionSpec


@contextmanager
def on_path(*specs: FunctionSpec) -> Iterator[None]:
    """The functions' code folders and layers first on ``sys.path`` inside the block, as they were after."""
    entries = [str(folder) for spec in specs for folder in spec.python_path]
    sys.path[:0] = entries
    try:
        yield
    finally:
        for entry in entries:
            sys.path.remove(entry)


def import_module(spec: FunctionSpec, name: str) -> ModuleType:
    """One of the function's modules (``frames``), imported by its bare name as its handler imports it."""
    with on_path(spec):
        return importlib.import_module(name)


def load_handler(spec: FunctionSpec) -> ModuleType:
    """The function's handler module run afresh, a cold start: its module globals read the environment
    again. Every function's handler module is ``app``, so each load gets a name of its own."""
    module_name = spec.handler.rsplit(".", 1)[0]
    location = spec.code_dir / f"{module_name}.py"
    module_spec = importlib.util.spec_from_file_location(f"{spec.code_dir.name}_{module_name}", location)
    assert module_spec is not None and module_spec.loader is not None, location
    module = importlib.util.module_from_spec(module_spec)
    with on_path(spec):
        module_spec.loader.exec_module(module)
    return module
