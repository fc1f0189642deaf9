"""What `sam build` left in .aws-sam/build is deployable: native code for the right CPU, within the limits.

Run `make build` first (`make test` does). The sizes are printed (``pytest -s``) and summed up at the end
of the report.
"""

import hashlib
import importlib.metadata
import json
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from devstack.template import read

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"

UNZIPPED_LIMIT = 250 * 1024 * 1024  # Lambda: function code plus all its layers, unzipped
MAX_LAYERS = 5
EM_MACHINE = {"arm64": 183, "x86_64": 62}  # ELF e_machine: EM_AARCH64, EM_X86_64
MACHINE_NAME = {value: key for key, value in EM_MACHINE.items()}
# dlib's 5-point landmarks, and dlib's ResNet converted to ONNX at build time (its .dat is not shipped).
VISION_MODELS = {"shape_predictor_5_face_landmarks.dat", "dlib_face_recognition_resnet_model_v1.onnx"}
SOURCES = ROOT / "layers"
MODEL_DIGESTS = SOURCES / "vision" / "models.sha256"  # what the build's conversion must give


def _resources(template: dict, kind: str) -> dict[str, dict]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


FUNCTIONS = sorted(_resources(read(ROOT / "template.yaml"), "AWS::Serverless::Function"))


def built_template() -> dict:
    """The built template, or a failure telling how to make it (a missing build is an error, not a skip)."""
    path = BUILD / "template.yaml"
    if not path.is_file():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `make build` first (`make test` does)")
    return read(path)


def _built_dir(uri: str) -> Path:
    folder = BUILD / uri
    if not folder.is_dir():
        pytest.fail(f"{folder.relative_to(ROOT)} is missing: run `make build` again")
    return folder


def function_parts(template: dict, name: str) -> tuple[str, list[tuple[str, Path]]]:
    """(architecture, [(part, built folder)]) for a function: its code, then each layer it uses."""
    glob = template.get("Globals", {}).get("Function", {})
    props = template["Resources"][name]["Properties"]
    arch = (props.get("Architectures") or glob.get("Architectures") or ["x86_64"])[0]
    parts = [(name, _built_dir(props["CodeUri"]))]
    for ref in [*glob.get("Layers", []), *props.get("Layers", [])]:
        layer = ref["Ref"] if isinstance(ref, dict) else ref
        parts.append((layer, _built_dir(template["Resources"][layer]["Properties"]["ContentUri"])))
    return arch, parts


def size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def elf_machine(path: Path) -> int | None:
    """The ELF e_machine of a file, or None when it is not an ELF file."""
    with path.open("rb") as f:
        head = f.read(20)
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")


def native_libraries(folder: Path):
    """Every shared library (name.so or name.so.N) under folder, with its ELF machine."""
    for path in sorted(folder.rglob("*.so*")):
        if path.is_file() and (path.suffix == ".so" or ".so." in path.name):
            yield path, elf_machine(path)


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 2**10:.0f} KiB"


class _SizeReport:
    """Collects the sizes the tests measured and prints them in the report's summary."""

    def __init__(self):
        self.lines: dict[str, str] = {}

    def pytest_terminal_summary(self, terminalreporter):
        if self.lines:
            terminalreporter.section("sam build: unzipped sizes (function + its layers)")
            for line in self.lines.values():
                terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def size_report(pytestconfig) -> _SizeReport:
    plugins = pytestconfig.pluginmanager
    report = plugins.get_plugin("build-size-report")
    if report is None:
        report = _SizeReport()
        plugins.register(report, "build-size-report")
    return report


@pytest.mark.parametrize("function", FUNCTIONS)
def test_native_libraries_match_the_architecture(function):
    template = built_template()
    arch, parts = function_parts(template, function)
    expected = EM_MACHINE[arch]
    wrong, checked = [], 0
    for _, folder in parts:
        for path, machine in native_libraries(folder):
            checked += 1
            if machine != expected:
                found = "not ELF" if machine is None else MACHINE_NAME.get(machine, f"e_machine {machine}")
                wrong.append(f"{path.relative_to(BUILD)}: {found}")
    print(f"{function}: {checked} native libraries checked for {arch}, {len(wrong)} wrong")
    assert not wrong, f"{function} runs on {arch}, but these libraries are not:\n" + "\n".join(wrong)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_and_layers_fit_lambdas_unzipped_limit(function, size_report):
    template = built_template()
    _, parts = function_parts(template, function)
    sizes = {part: size(folder) for part, folder in parts}
    total = sum(sizes.values())
    line = f"{function:<24} {mib(total):>10} = " + " + ".join(f"{p} {mib(s)}" for p, s in sizes.items())
    size_report.lines[function] = line
    print(line)
    assert len(parts) - 1 <= MAX_LAYERS, f"{function} uses {len(parts) - 1} layers (Lambda allows 5)"
    assert total < UNZIPPED_LIMIT, f"{function} is {mib(total)} unzipped with its layers (limit 250 MiB)"


def test_vision_layer_holds_the_two_models_and_byte_code():
    """The landmarks and the ONNX encoder, nothing else; the ONNX is the recorded conversion."""
    template = built_template()
    runtime = template["Globals"]["Function"]["Runtime"]  # python3.12 -> cpython-312
    tag = "cpython-" + runtime.removeprefix("python").replace(".", "")
    layer = _built_dir(template["Resources"]["VisionLayer"]["Properties"]["ContentUri"])
    package = layer / "python" / "face_recognition_models"
    assert {p.name for p in (package / "models").iterdir()} == VISION_MODELS
    # classroom_vision.models finds the folder with find_spec: a namespace package, nothing to import.
    assert not (package / "__init__.py").exists()
    leftovers = [p for p in layer.rglob("*") if p.name == "tests" or p.suffix == ".pyi"]
    assert not leftovers, f"stripped files are back: {leftovers[:5]}"
    recorded = {name: digest for digest, name in map(str.split, MODEL_DIGESTS.read_text().splitlines())}
    encoder = package / "models" / "dlib_face_recognition_resnet_model_v1.onnx"
    digest = hashlib.sha256(encoder.read_bytes()).hexdigest()
    assert digest == recorded[encoder.name], f"{encoder.name} is not what {MODEL_DIGESTS.name} records"
    # /opt is read-only on Lambda: the layer brings its byte code, for the runtime's interpreter only.
    tags = {p.name.split(".")[-2] for p in layer.rglob("*.pyc")}
    assert tags == {tag}, f"byte code for {tags or 'nothing'}; {runtime} runs it"


def modules(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("*.py")}


@pytest.mark.parametrize(
    ("layer", "package", "source"),
    [
        ("CommonLayer", "classroom_common", "common"),
        ("VisionLayer", "classroom_vision", "vision"),
    ],
)
def test_each_layer_ships_its_own_package_whole(layer, package, source):
    """classroom_common goes to every function; classroom_vision (cv2, dlib) only with the vision layer."""
    template = built_template()
    built = _built_dir(template["Resources"][layer]["Properties"]["ContentUri"]) / "python"
    expected = modules(SOURCES / source / package)
    assert modules(built / package) == expected
    other = {"classroom_common": "classroom_vision", "classroom_vision": "classroom_common"}[package]
    assert not (built / other).exists(), f"{layer} also ships {other}"


@pytest.mark.stack
def test_the_local_stack_runs_the_definition_sam_build_packages(stack):
    """What the local stack runs is what `sam deploy` uploads: the built template's DefinitionUri, with
    its DefinitionSubstitutions applied as CloudFormation applies them."""
    template = built_template()
    (machine,) = _resources(template, "AWS::Serverless::StateMachine").values()
    props = machine["Properties"]
    text = (BUILD / props["DefinitionUri"]).read_text()
    for name, value in stack.template.resolve(props["DefinitionSubstitutions"]).items():
        text = text.replace("${" + name + "}", value)
    sfn = stack.deployment.client("stepfunctions")
    running = sfn.describe_state_machine(stateMachineArn=stack.deployment["StateMachineArn"])["definition"]
    assert json.loads(running) == json.loads(text)
    assert "${" not in running


RUNTIME_PROVIDED = SOURCES / "common" / "runtime-provided.txt"
# The import names of what the runtime provides, whatever a dist-info says (python-dateutil is dateutil).
RUNTIME_MODULES = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_provided() -> set[str]:
    lines = (line.split("#", 1)[0].strip() for line in RUNTIME_PROVIDED.read_text().splitlines())
    return {normalized(line) for line in lines if line}


def shipped_distributions(site: Path) -> dict[str, importlib.metadata.Distribution]:
    """Every distribution installed in a layer's site folder, by normalized name."""
    found = importlib.metadata.distributions(path=[str(site)])
    return {normalized(d.metadata["Name"]): d for d in found}


def test_the_common_layer_ships_nothing_the_runtime_provides():
    """boto3 comes from Lambda's runtime, so botocore must too: the layer is ahead of the runtime on
    sys.path, and a botocore of its own (aws-xray-sdk pulls one) would run under the runtime's boto3."""
    template = built_template()
    site = _built_dir(template["Resources"]["CommonLayer"]["Properties"]["ContentUri"]) / "python"
    provided = runtime_provided()
    assert {"boto3", "botocore"} <= provided
    shipped = shipped_distributions(site)
    assert "aws-lambda-powertools" in shipped and "aws-xray-sdk" in shipped  # the tracer is there
    assert not shipped.keys() & provided, f"the common layer ships {sorted(shipped.keys() & provided)}"
    modules = {p.name.removesuffix(".py") for p in site.iterdir()}
    assert not modules & RUNTIME_MODULES, f"the common layer ships {sorted(modules & RUNTIME_MODULES)}"


def test_the_common_layer_needs_nothing_but_itself_and_the_runtime():
    """Every requirement of every distribution the layer ships (for python3.12 on arm64 Linux, with the
    extras asked for) is met by the layer or is one the runtime provides: nothing was left out."""
    template = built_template()
    site = _built_dir(template["Resources"]["CommonLayer"]["Properties"]["ContentUri"]) / "python"
    shipped, provided = shipped_distributions(site), runtime_provided()
    wanted = [Requirement(line) for line in requirement_lines(SOURCES / "common" / "requirements.txt")]
    extras = {normalized(r.name): set(r.extras) for r in wanted}
    for name, dist in shipped.items():
        for text in dist.requires or []:
            req = Requirement(text)
            asked = [{**LAMBDA_PYTHON, "extra": extra} for extra in ("", *extras.get(name, ()))]
            if req.marker and not any(req.marker.evaluate(env) for env in asked):
                continue
            needed = normalized(req.name)
            extras.setdefault(needed, set()).update(req.extras)
            if needed in provided:
                print(f"{name} needs {needed}{req.specifier} from the runtime")
                continue
            assert needed in shipped, f"{name} needs {req}, which neither the layer nor the runtime has"
            version = shipped[needed].version
            assert req.specifier.contains(version, prereleases=True), (
                f"{name} needs {req}, the layer has {version}"
            )


LAMBDA_PYTHON = {  # the marker environment of Lambda's python3.12 on arm64
    "python_version": "3.12",
    "python_full_version": "3.12.0",
    "platform_machine": "aarch64",
    "platform_system": "Linux",
    "sys_platform": "linux",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def test_the_tests_run_the_vision_layers_versions():
    """The vision code is tested on the numpy, OpenCV and dlib the layer ships (built for arm64), not on
    whatever newer release the dev venv could resolve: a detector or decoder change would go unseen."""
    template = built_template()
    site = _built_dir(template["Resources"]["VisionLayer"]["Properties"]["ContentUri"]) / "python"
    shipped = shipped_distributions(site)
    for name in ("numpy", "opencv-python-headless", "dlib-bin"):
        assert name in shipped, f"the vision layer ships no {name}"
        assert importlib.metadata.version(name) == shipped[name].version, name
