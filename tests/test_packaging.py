"""`make install` prints no warnings: the project builds (as a wheel, and editable as `make install`
installs it) without a setuptools warning, with the YuNet model and the view's stylesheet inside."""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SOURCES = ["pyproject.toml", "README.md", "devstack", "layers/common/classroom_common"]
SOURCES += ["layers/vision/classroom_vision"]


def editable_note_filter() -> str:
    """The PYTHONWARNINGS the Makefile's install gives pip (setuptools' one InformationOnly note)."""
    found = re.search(r'^EDITABLE_NOTE := PYTHONWARNINGS="([^"]+)"$', (ROOT / "Makefile").read_text(), re.M)
    assert found, "the Makefile's EDITABLE_NOTE"
    return found[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The package's sources, copied (a build leaves build/ and egg-info beside them)."""
    for source in SOURCES:
        target = tmp_path / source
        if (ROOT / source).is_dir():
            shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / source, target)
    return tmp_path


def build(project: Path, hook: str, warnings: str = "") -> tuple[Path, str]:
    """Run setuptools' PEP 517/660 ``hook`` as pip would; the wheel and everything it printed."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    if warnings:
        env["PYTHONWARNINGS"] = warnings
    code = f"import setuptools.build_meta as b; print(b.{hook}('dist'))"
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    name = proc.stdout.strip().splitlines()[-1]
    return project / "dist" / name, proc.stdout + proc.stderr


def test_the_wheel_builds_without_a_warning_and_holds_the_model(project):
    wheel, printed = build(project, "build_wheel")
    assert "Warning" not in printed and "absent from the `packages`" not in printed, printed
    names = zipfile.ZipFile(wheel).namelist()
    assert "classroom_vision/yunet/yunet_n_dynamic.onnx" in names
    assert "classroom_vision/yunet/LICENSE" in names and "devstack/view/view.css" in names


def test_the_editable_install_is_quiet_with_the_makefiles_filter(project):
    """`make install`'s editable build: setuptools' note on editable installs is all there is to filter."""
    _, unfiltered = build(project, "build_editable")
    assert "Editable installation." in unfiltered
    _, printed = build(project, "build_editable", editable_note_filter())
    assert "Warning" not in printed, printed
