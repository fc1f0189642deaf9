"""How the local stack reads template.yaml: outputs, function environments and the state machine,
resolved to the local stack's names."""

import json

from devstack.template import ACCOUNT, REGION, Template
from tests.conftest import ROOT

TEMPLATE = Template()
BODY = TEMPLATE.body
MACHINE_ID = next(iter(TEMPLATE.of_type("AWS::Serverless::StateMachine")))
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def test_outputs_resolve_to_the_local_stacks_names():
    outputs = TEMPLATE.outputs()
    assert set(outputs) == set(BODY["Outputs"])
    assert all(isinstance(v, str) and "Ref" not in v for v in outputs.values())
    assert outputs["InputBucketName"] == "smart-classroom-inputbucket"
    assert outputs["OutputBucketName"] == "smart-classroom-outputbucket"
    assert outputs["StudentsTableName"] == "smart-classroom-StudentsTable"
    assert outputs["KnownFacesKey"] == BODY["Parameters"]["KnownFacesKey"]["Default"]
    assert outputs["StateMachineArn"] == (
        f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:smart-classroom-{MACHINE_ID}"
    )


def test_function_environments_resolve_refs_and_parameters():
    functions = {spec.short_name: spec for spec in TEMPLATE.functions().values()}
    outputs = TEMPLATE.outputs()
    folders = {p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").exists()}
    assert {spec.code_dir.name for spec in functions.values()} == folders
    globals_env = BODY["Globals"]["Function"]["Environment"]["Variables"]
    for spec in functions.values():
        assert globals_env.items() <= spec.environment.items(), spec.name
        assert all(isinstance(v, str) and "{" not in v for v in spec.environment.values()), spec.name
        module, entry = spec.handler.split(".")
        assert entry == "lambda_handler" and (spec.code_dir / f"{module}.py").is_file(), spec.handler
        if spec.short_name == spec.code_dir.name:  # the folder's own function; others share its folder
            assert spec.handler == "app.lambda_handler"
        assert (spec.code_dir / "app.py").is_file()
    extract = functions["extract_frames"].environment
    assert extract["ARTIFACTS_BUCKET"] == outputs["ArtifactsBucketName"]
    assert extract["FRAME_SAMPLES"] == str(BODY["Parameters"]["FrameSamples"]["Default"])
    assert extract["MAX_VIDEO_BYTES"] == str(BODY["Parameters"]["MaxVideoBytes"]["Default"])
    assert extract["MAX_VIDEO_SECONDS"] == str(BODY["Parameters"]["MaxVideoSeconds"]["Default"])
    assert extract["MAX_VIDEO_PIXELS"] == str(BODY["Parameters"]["MaxVideoPixels"]["Default"])
    recognize = functions["recognize_faces"].environment
    assert recognize["KNOWN_FACES_BUCKET"] == outputs["KnownFacesBucketName"]
    assert recognize["KNOWN_FACES_KEY"] == outputs["KnownFacesKey"]
    assert float(recognize["MATCH_THRESHOLD"]) == 0.6
    assert recognize["MAX_FACES_PER_FRAME"] == str(BODY["Parameters"]["MaxFacesPerFrame"]["Default"])
    assert functions["lookup_students"].environment["STUDENTS_TABLE"] == outputs["StudentsTableName"]
    assert functions["write_csv"].environment["OUTPUT_BUCKET"] == outputs["OutputBucketName"]
    assert functions["report_failure"].environment["OUTPUT_BUCKET"] == outputs["OutputBucketName"]


def test_parameters_override_their_defaults():
    template = Template(parameters={"FrameSamples": "9", "MatchThreshold": "0.5"})
    functions = {spec.short_name: spec for spec in template.functions().values()}
    assert functions["extract_frames"].environment["FRAME_SAMPLES"] == "9"
    assert functions["recognize_faces"].environment["MATCH_THRESHOLD"] == "0.5"


def test_the_state_machine_definition_resolves_to_the_functions():
    text, _props = TEMPLATE.state_machine(MACHINE_ID)
    assert "${" not in text
    definition = json.loads(text)
    # every function but those an EventBridge rule of their own invokes (EnrollStudents)
    arns = {spec.arn for spec in TEMPLATE.functions().values() if not TEMPLATE.event_rules(spec.logical_id)}
    invoked = set()
    for state in definition["States"].values():
        if state["Type"] == "Task":
            resource = state["Resource"]
            invoked.add(
                state["Parameters"]["FunctionName"] if resource.startswith(LAMBDA_INVOKE) else resource
            )
    assert invoked == arns


def test_a_function_is_found_by_logical_id_folder_or_name():
    spec = TEMPLATE.function("recognize_faces")
    assert TEMPLATE.function("RecognizeFacesFunction") == TEMPLATE.function(spec.name) == spec
    assert spec.code_dir == ROOT / "functions" / "recognize_faces"


def test_a_function_imports_from_its_code_then_its_layers():
    """As on Lambda (/var/task, then /opt/python): the vision layer's package only where it is attached."""
    layers = ROOT / "layers"
    assert TEMPLATE.function("recognize_faces").python_path == (
        ROOT / "functions" / "recognize_faces",
        layers / "common",
        layers / "vision",
    )
    assert TEMPLATE.function("write_csv").python_path == (ROOT / "functions" / "write_csv", layers / "common")
