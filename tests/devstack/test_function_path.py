"""A function's code on the path as its Lambda has it, and the path as it was afterwards."""

import sys

from devstack import function_path
from devstack.template import FunctionSpec, Template

TEMPLATE = Template()


def test_on_path_puts_the_code_first_and_leaves_the_path_as_it_was():
    spec = TEMPLATE.function("extract_frames")
    before = list(sys.path)
    with function_path.on_path(spec):
        assert sys.path[: len(spec.python_path)] == [str(folder) for folder in spec.python_path]
    assert sys.path == before


def test_a_module_is_imported_by_its_bare_name_as_the_handler_imports_it():
    before = list(sys.path)
    students = function_path.import_module(TEMPLATE.function("lookup_students"), "students")
    assert students.__file__ == str(TEMPLATE.function("lookup_students").code_dir / "students.py")
    assert sys.path == before


def test_each_load_of_a_handler_is_a_cold_start(tmp_path):
    (tmp_path / "helper.py").write_text("NAME = 'helper'\n")
    (tmp_path / "app.py").write_text(
        "from helper import NAME\nSTARTED = object()\ndef lambda_handler(e, c): ...\n"
    )
    spec = FunctionSpec("Fn", "fn", tmp_path, "app.lambda_handler", 3, 128, {}, ())
    first, second = function_path.load_handler(spec), function_path.load_handler(spec)
    assert first.NAME == "helper" and first.STARTED is not second.STARTED
    assert first.__name__ == f"{tmp_path.name}_app" and "app" not in sys.modules
