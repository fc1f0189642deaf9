"""The SAM template and the state machine definition: lint, structure, permissions and wiring."""

import json
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
import yaml
from cfnlint.api import ManualArgs, lint_file
from moto.events.models import EventPattern

from classroom_common import errors
from classroom_common.states import CONTRACTS, Batch, FailureReport
from devstack.template import ACCOUNT, REGION, Template
from tests.conftest import ROOT

TEMPLATE = Template()
BODY = TEMPLATE.body
MACHINE_ID = next(iter(TEMPLATE.of_type("AWS::Serverless::StateMachine")))
MACHINE = TEMPLATE.resources[MACHINE_ID]["Properties"]
ASL_TEXT = (ROOT / MACHINE["DefinitionUri"]).read_text()
ASL = json.loads(ASL_TEXT)
STATES = ASL["States"]  # the top level
MAPS = {name: state for name, state in STATES.items() if state["Type"] == "Map"}
INNER = {  # the states inside each Map's ItemProcessor -> that Map
    inner: name for name, state in MAPS.items() for inner in state["ItemProcessor"]["States"]
}
ALL_STATES = {**STATES, **{n: MAPS[m]["ItemProcessor"]["States"][n] for n, m in INNER.items()}}
SUBSTITUTIONS = MACHINE["DefinitionSubstitutions"]
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


def lint(path: Path) -> list[str]:
    return [
        f"{m.rule.id} {m.message} (line {m.linenumber})"
        for m in lint_file(path, config=ManualArgs(regions=[REGION]))
    ]


def test_cfn_lint_passes():
    assert lint(ROOT / "template.yaml") == []


def test_cfn_lint_is_really_checking_this_template(tmp_path):
    """Control: the same template with one bad value fails, so the pass above is not vacuous."""
    broken = tmp_path / "template.yaml"
    text = (ROOT / "template.yaml").read_text()
    assert "Type: STANDARD\n" in text
    broken.write_text(text.replace("Type: STANDARD", "Type: STANDARDX"))
    assert any("STANDARDX" in m for m in lint(broken))


# --- the state machine definition ---------------------------------------------------------------


def substitution(value: str) -> str | None:
    found = re.fullmatch(r"\$\{([^}]+)\}", value)
    return found.group(1) if found else None


def task_function(name: str) -> str:
    """The DefinitionSubstitutions name of the Lambda a Task invokes, directly or through lambda:invoke."""
    state = ALL_STATES[name]
    resource = state["Resource"]
    if resource.startswith(LAMBDA_INVOKE):
        function = state["Parameters"]["FunctionName"]
        assert substitution(function), f"{name}: FunctionName {function!r} is not a ${{…}} substitution"
        return substitution(function)
    assert substitution(resource), (
        f"{name}: Resource {resource!r} is neither a substitution nor lambda:invoke"
    )
    return substitution(resource)


def transitions(state: dict) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [c["Next"] for c in state.get("Catch", [])]
    targets += [c["Next"] for c in state.get("Choices", [])]
    return [t for t in targets if t]


TASKS = [name for name, s in ALL_STATES.items() if s["Type"] == "Task"]  # a Map's inner Tasks too
FAILURE = next(n for n in TASKS if task_function(n) == "ReportFailureFunctionArn")
STEPS = [n for n in TASKS if n != FAILURE and n not in INNER] + list(MAPS)  # what catches into the report


def test_every_transition_target_exists():
    assert ASL["StartAt"] in STATES
    for name, state in STATES.items():
        for target in transitions(state):
            assert target in STATES, f"{name} -> {target}"


def reachable(start: str, states: dict) -> set[str]:
    """The states a run can enter from ``start``."""
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(transitions(states[name]))
    return seen


def test_every_state_is_reachable():
    assert reachable(ASL["StartAt"], STATES) == set(STATES)


def test_every_non_terminal_state_goes_somewhere():
    for name, state in STATES.items():
        if state["Type"] in ("Succeed", "Fail"):
            assert not transitions(state), name
        elif state["Type"] != "Choice":
            assert state.get("End") or state.get("Next"), f"{name} neither ends nor has Next"


@pytest.mark.parametrize("name", sorted(MAPS))
def test_a_map_runs_its_inner_states_inline_to_an_end(name):
    """Inline (its iterations are in the execution's history; no map run records), its concurrency from
    the state (MaxConcurrencyPath), every inner state reachable and the last one ending the iteration;
    an inner failure leaves through the Map's Catch, after the inner Task's own retries."""
    processor = MAPS[name]["ItemProcessor"]
    assert processor["ProcessorConfig"]["Mode"] == "INLINE"
    assert MAPS[name]["MaxConcurrencyPath"].startswith("$.")
    inner = processor["States"]
    assert reachable(processor["StartAt"], inner) == set(inner)
    assert any(state.get("End") for state in inner.values())
    for state in inner.values():
        assert "Catch" not in state and state.get("Retry"), state


def test_every_task_is_a_template_substitution_and_every_substitution_is_used():
    used = {task_function(name) for name in TASKS}
    assert used == set(SUBSTITUTIONS)
    placeholders = set(re.findall(r"\$\{([^}]+)\}", ASL_TEXT))
    assert placeholders == set(SUBSTITUTIONS)
    # and each one is a function of this template
    functions = TEMPLATE.of_type("AWS::Serverless::Function")
    for name, value in SUBSTITUTIONS.items():
        logical_id, attribute = value["Fn::GetAtt"]
        assert logical_id in functions and attribute == "Arn", name


def test_every_step_catches_everything_into_the_failure_report():
    for name in STEPS:
        catches = STATES[name].get("Catch", [])
        assert any(c["ErrorEquals"] == ["States.ALL"] and c["Next"] == FAILURE for c in catches), name
        for c in catches:
            # report_failure reads the step's name from the only key of $.failed
            assert c["ResultPath"] == f"$.failed.{name}", name


def test_the_failure_report_ends_the_run_failed_either_way():
    report, fail = STATES[FAILURE], STATES[STATES[FAILURE]["Next"]]
    assert fail["Type"] == "Fail"
    assert report["ResultPath"] == "$.report"
    assert fail["ErrorPath"] == "$.report.error"
    assert fail["CausePath"] == "$.report.cause"
    assert {"error.$", "cause.$"} <= set(report["ResultSelector"])
    # the report's input is the whole failed state plus the execution's id
    assert report["Parameters"]["Payload"] == {
        "state.$": "$$.State.Name",
        "run.$": "$",
        "execution.$": "$$.Execution.Id",
    }


# --- each state's contract (classroom_common.states.CONTRACTS) ------------------------------------


def payload(name: str) -> dict[str, str]:
    """What a Task gives its Lambda: {field: the path it comes from, or its value}."""
    return {k.removesuffix(".$"): v for k, v in ALL_STATES[name]["Parameters"]["Payload"].items()}


def selected(name: str) -> dict[str, str]:
    """A Task's ResultSelector as {field: the path of the Lambda's result it comes from}."""
    return {k.removesuffix(".$"): v for k, v in ALL_STATES[name].get("ResultSelector", {}).items()}


def test_every_task_has_a_contract_and_invokes_its_lambda():
    assert set(CONTRACTS) == set(TASKS)
    for name, contract in CONTRACTS.items():
        assert ALL_STATES[name]["Resource"] == LAMBDA_INVOKE, name
        assert task_function(name) == f"{contract.function}Arn", name
        assert TEMPLATE.resources[contract.function]["Type"] == "AWS::Serverless::Function"


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_a_task_gives_its_lambda_every_field_of_its_input_model_and_names_the_state(name):
    given, model = payload(name), CONTRACTS[name].input
    assert given["state"] == "$$.State.Name", name
    assert model.model_fields["state"].annotation == Literal[name], name
    assert set(given) == set(model.model_fields), name


# The Tasks that keep only part of what their Lambda returns, on purpose: the fields they keep.
TRIMMED = {"ReportFailure": {"step", "error", "cause", "hint", "report_key", "execution"}}


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_a_task_keeps_every_field_its_lambda_returns(name):
    """A field added to an output model without the ASL following would be dropped between states."""
    state, fields = ALL_STATES[name], set(CONTRACTS[name].output.model_fields)
    if state.get("OutputPath") == "$.Payload":  # the result is the state's whole output
        assert "ResultSelector" not in state and state.get("ResultPath", "$") == "$", name
        return
    chosen = selected(name)
    if set(chosen.values()) == {"$.Payload"}:  # the whole result, under one name
        assert len(chosen) == 1, name
        return
    assert all(path == f"$.Payload.{field}" for field, path in chosen.items()), name
    assert set(chosen) == TRIMMED.get(name, fields), name
    assert set(chosen) <= fields, name


def test_what_recognition_is_given_is_a_batch_on_either_way_in():
    """RecognizeFaces is given the state as it stands (``batch.$: $``): after ExtractFrames, or the
    next batch UseMoreFrames builds."""
    assert payload("RecognizeFaces")["batch"] == "$"
    batch = set(Batch.model_fields)
    assert set(selected("ExtractFrames")) >= {f for f in batch if Batch.model_fields[f].is_required()}
    use_more = STATES["UseMoreFrames"]
    assert use_more["Next"] == "RecognizeFaces"
    assert {k.removesuffix(".$") for k in use_more["Parameters"]} == batch


def test_the_failure_report_has_the_fields_its_state_selects(cloud, load):
    run = {"video": {"bucket": "b", "key": "k.mp4"}, "failed": {"WriteCsv": {"Error": "E", "Cause": "C"}}}
    event = {
        "state": "ReportFailure",
        "run": run,
        "execution": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:x",
    }
    assert set(load("report_failure")(event)) == set(FailureReport.model_fields)


def test_the_definition_is_the_expansion_of_its_source():
    """The template deploys recognition.asl.json; its source is the YAML (each retry policy written
    once, as an anchor). `make asl` writes one from the other."""
    source = ROOT / MACHINE["DefinitionUri"].replace(".json", ".yaml")
    assert yaml.safe_load(source.read_text()) == ASL
    assert json.dumps(ASL, indent=2, ensure_ascii=False) + "\n" == ASL_TEXT
    retries = [state["Retry"] for state in ALL_STATES.values() if "Retry" in state]
    assert len(retries) == len(TASKS)
    text = source.read_text()
    written = text.count("ErrorEquals:") - text.count("{ErrorEquals:")  # a Catch is written {…}
    assert written == len({json.dumps(r) for rs in retries for r in rs}) == 5  # each retrier once


def our_errors() -> set[str]:
    found, todo = set(), [errors.ClassroomError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def test_retries_never_repeat_a_failure_a_person_must_fix():
    ours = our_errors()
    assert {"InvalidVideo", "VideoTooLarge", "KnownFacesUnavailable", "StudentTableUnavailable"} <= ours
    for name in TASKS:
        for retry in ALL_STATES[name].get("Retry", []):
            listed = set(retry["ErrorEquals"])
            assert not listed & {"States.ALL", "States.TaskFailed"}, (name, listed)
            assert not listed & ours, (name, listed & ours)
            assert retry.get("MaxAttempts", 3) <= 10, name


CRASHES = {"Runtime.ExitError", "Runtime.OutOfMemory", "Lambda.Unknown"}  # what a dead sandbox reports


def test_a_crashed_runtime_is_retried_once_with_backoff_and_jitter():
    for name in TASKS:
        (retry,) = [r for r in ALL_STATES[name]["Retry"] if set(r["ErrorEquals"]) & CRASHES]
        assert set(retry["ErrorEquals"]) == CRASHES, name
        assert retry["MaxAttempts"] == 1 and retry["BackoffRate"] > 1 and retry["JitterStrategy"] == "FULL"


# AWS's recommended retrier for Lambda's transient service errors (Step Functions' best practices).
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
}


def retrier(name: str, error: str) -> dict:
    """The first retrier of a Task that matches ``error`` (as Step Functions picks it)."""
    return next(r for r in ALL_STATES[name]["Retry"] if error in r["ErrorEquals"])


def delays(retry: dict) -> list[float]:
    """The longest wait before each retry (full jitter draws each one between 0 and this)."""
    return [
        min(retry["IntervalSeconds"] * retry["BackoffRate"] ** i, retry.get("MaxDelaySeconds", 1e9))
        for i in range(retry["MaxAttempts"])
    ]


@pytest.mark.parametrize("name", TASKS)
def test_every_task_retries_lambdas_transient_service_errors(name):
    for error in LAMBDA_SERVICE_ERRORS:
        found = retrier(name, error)
        assert found["MaxAttempts"] >= 3 and found.get("JitterStrategy") == "FULL", (name, error)


def chance_of_giving_up_within(retry: dict, seconds: float, draws: int = 200_000) -> float:
    """How often a run whose every attempt is throttled gives up within ``seconds`` (full jitter: each
    wait uniform between 0 and its cap), by sampling."""
    rng = np.random.default_rng(22)
    caps = np.array(delays(retry))
    waited = (rng.random((draws, len(caps))) * caps).sum(axis=1)
    return float((waited < seconds).mean())


THROTTLE_BURST = 60  # seconds of throttling a run must outlast: 100 uploads on a new account's 10 (issue 22)


@pytest.mark.parametrize("name", TASKS)
def test_throttling_is_retried_past_a_burst(name):
    """A new account's Lambda concurrency (10) is used up by a burst of uploads and a lecture's Map: a
    throttled step keeps trying for minutes (the transient retrier gave up within 25 s), and all but
    about one run in a thousand outlast a minute of throttling on every attempt."""
    found = retrier(name, "Lambda.TooManyRequestsException")
    assert found["JitterStrategy"] == "FULL", name  # a burst's retries spread out, not in step
    assert sum(delays(found)) >= 6 * THROTTLE_BURST, name
    assert chance_of_giving_up_within(found, THROTTLE_BURST) < 1e-3, name
    assert chance_of_giving_up_within(found, 25) < 1e-5, name  # the old retrier's longest wait


def test_a_retry_outwaits_the_claim_a_crashed_invocation_left():
    """A crashed invocation's idempotency record stays in progress until its function's Timeout; the
    retry of the step it crashed in must still be trying then (no jitter: the whole budget is needed)."""
    longest = max(spec.timeout for spec in TEMPLATE.functions().values())
    for name in TASKS:
        found = [
            r for r in ALL_STATES[name]["Retry"] if "IdempotencyAlreadyInProgressError" in r["ErrorEquals"]
        ]
        for retry in found:
            assert sum(delays(retry)) > longest and retry.get("JitterStrategy", "NONE") == "NONE", name


# --- the trigger ------------------------------------------------------------------------------


def s3_event(bucket: str, detail_type: str = "Object Created", source: str = "aws.s3") -> dict:
    return {
        "version": "0",
        "id": "1",
        "detail-type": detail_type,
        "source": source,
        "account": ACCOUNT,
        "time": "2024-09-02T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket}, "object": {"key": "test_0.mp4", "size": 1}},
    }


def test_the_rule_matches_uploads_to_the_input_bucket_only():
    (rule,) = [e for e in MACHINE["Events"].values() if e["Type"] == "EventBridgeRule"]
    assert rule["Properties"]["Pattern"]["detail"]["bucket"]["name"] == [{"Ref": "InputBucket"}]
    (pattern,) = TEMPLATE.event_rules(MACHINE_ID).values()
    matcher = EventPattern.load(json.dumps(pattern))
    buckets = {
        logical_id: TEMPLATE.physical_name(logical_id) for logical_id in TEMPLATE.of_type("AWS::S3::Bucket")
    }
    matched = {logical_id for logical_id, name in buckets.items() if matcher.matches_event(s3_event(name))}
    assert matched == {"InputBucket"}
    assert not matcher.matches_event(s3_event(buckets["InputBucket"], detail_type="Object Deleted"))
    assert not matcher.matches_event(s3_event(buckets["InputBucket"], source="my.app"))


def test_the_input_bucket_sends_its_events_to_eventbridge():
    props = TEMPLATE.resources["InputBucket"]["Properties"]
    assert props["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    others = [
        logical_id
        for logical_id, r in TEMPLATE.of_type("AWS::S3::Bucket").items()
        if r["Properties"].get("NotificationConfiguration", {}).get("EventBridgeConfiguration")
    ]
    assert others == ["InputBucket", "KnownFacesBucket"]  # uploads; enrollment/ photos


# --- permissions ------------------------------------------------------------------------------

# SAM policy templates whose definitions (samtranslator/policy_templates_data/policy_templates.json)
# list explicit actions only. Templates with wildcard actions, e.g. SQSSendMessagePolicy
# ("sqs:SendMessage*") or TextractPolicy ("textract:*"), are deliberately not here.
EXPLICIT_SAM_POLICY_TEMPLATES = {
    "S3ReadPolicy",
    "S3WritePolicy",
    "S3CrudPolicy",
    "DynamoDBReadPolicy",
    "DynamoDBCrudPolicy",
    "DynamoDBWritePolicy",
    "LambdaInvokePolicy",
    "StepFunctionsExecutionPolicy",
    "SNSPublishMessagePolicy",
    "SQSPollerPolicy",
    "KMSDecryptPolicy",
}


def policy_entries():
    for logical_id, resource in TEMPLATE.resources.items():
        policies = resource.get("Properties", {}).get("Policies", [])
        if isinstance(policies, str | dict):
            policies = [policies]
        for policy in policies:
            yield logical_id, policy


def statements_anywhere(value, path=""):
    """Every IAM statement anywhere in the template (inline policies, roles, bucket policies …)."""
    if isinstance(value, dict):
        if "Effect" in value and ("Action" in value or "NotAction" in value):
            yield path, value
            return
        for k, v in value.items():
            yield from statements_anywhere(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from statements_anywhere(v, f"{path}/{i}")


def test_no_policy_grants_a_wildcard_action():
    """Allow statements name their actions; a wildcard is fine only in a Deny (e.g. TLS-only buckets)."""
    assert list(policy_entries()), "expected the functions and state machine to declare policies"
    for logical_id, policy in policy_entries():
        assert not isinstance(policy, str), (
            f"{logical_id}: managed policy {policy!r} (actions not reviewable)"
        )
        if "Statement" in policy:
            continue  # inline: checked below with every other statement in the template
        (template_name,) = policy
        assert template_name in EXPLICIT_SAM_POLICY_TEMPLATES, f"{logical_id}: {template_name}"
    for path, statement in statements_anywhere(BODY["Resources"]):
        if statement["Effect"] == "Deny":
            continue
        assert "NotAction" not in statement, f"{path}: Allow with NotAction grants everything else"
        actions = statement["Action"]
        for action in [actions] if isinstance(actions, str) else actions:
            assert "*" not in action, f"{path}: {action}"


def test_the_wildcard_check_sees_statements():
    """Control: the walk finds a statement in a bucket policy, so an Allow "s3:*" there would fail."""
    found = [s for _path, s in statements_anywhere(BODY["Resources"])]
    grant = {
        "Resources": {
            "P": {"Properties": {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*"}]}}}
        }
    }
    assert [s["Action"] for _p, s in statements_anywhere(grant)] == ["s3:*"]
    assert all("Effect" in s for s in found)


def test_every_policy_template_names_a_resource_of_this_template():
    names = set(TEMPLATE.resources)
    for logical_id, policy in policy_entries():
        ((template_name, args),) = policy.items()
        if template_name == "Statement":  # an inline policy (its resources: the wildcard checks above)
            continue
        for value in args.values():
            assert value in ({"Ref": n} for n in names), f"{logical_id}: {value}"


# --- what a handler needs from its environment ---------------------------------------------


def test_every_variable_a_handler_requires_is_in_its_environment():
    """``env("X")`` raises when X is missing: the template must set every one of them."""
    for spec in TEMPLATE.functions().values():
        required = set()
        for source in handler_modules(spec.code_dir, spec.handler.split(".")[0]):
            required |= set(re.findall(r'\benv\("(\w+)"\)', source.read_text()))
        assert required <= set(spec.environment), (spec.name, required - set(spec.environment))


def handler_modules(folder: Path, module: str) -> set[Path]:
    """The handler's module and the modules of its folder it imports, directly or not (two functions
    may share a folder: MergeSegments imports none of RecognizeFaces' vision code)."""
    found, todo = set(), [folder / f"{module}.py"]
    while todo:
        path = todo.pop()
        if path in found or not path.is_file():
            continue
        found.add(path)
        names = re.findall(r"^(?:import|from) (\w+)", path.read_text(), re.MULTILINE)
        todo.extend(folder / f"{name}.py" for name in names)
    return found


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.of_type("AWS::S3::Bucket")))
def test_buckets_are_private_and_encrypted(logical_id):
    props = TEMPLATE.resources[logical_id]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")


def test_an_alarm_fires_when_a_run_fails():
    alarms = [r["Properties"] for r in TEMPLATE.of_type("AWS::CloudWatch::Alarm").values()]
    failed = [a for a in alarms if (a["Namespace"], a["MetricName"]) == ("AWS/States", "ExecutionsFailed")]
    assert len(failed) == 1
    (alarm,) = failed
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "RecognitionStateMachine"}}]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


def test_undeliverable_upload_events_are_kept_and_alarmed():
    event = MACHINE["Events"]["VideoUploaded"]["Properties"]
    assert event["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["UndeliveredUploadsQueue", "Arn"]}
    alarms = [r["Properties"] for r in TEMPLATE.of_type("AWS::CloudWatch::Alarm").values()]
    assert any(
        a["Namespace"] == "AWS/SQS"
        and a["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["UndeliveredUploadsQueue", "QueueName"]}
        for a in alarms
    )


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.of_type("AWS::S3::Bucket")))
def test_buckets_refuse_plain_http(logical_id):
    policies = [
        r["Properties"]
        for r in TEMPLATE.of_type("AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": False}}
        for s in statements
    )


def test_both_alarms_notify_the_alarm_topic_and_an_email_when_given():
    alarms = TEMPLATE.of_type("AWS::CloudWatch::Alarm")
    assert {"ExecutionsFailedAlarm", "UndeliveredUploadsAlarm", "EnrollmentFailedAlarm"} <= set(alarms)
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical_id
    assert TEMPLATE.resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    (subscription,) = TEMPLATE.of_type("AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert BODY["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    email = BODY["Parameters"]["AlarmEmail"]
    assert email["Default"] == ""  # optional: a deploy without it has the topic and no subscription
    pattern = email["AllowedPattern"]
    assert all(re.fullmatch(pattern, ok) for ok in ("", "registrar@school.edu", "a.b+alarms@x.co.uk"))
    assert not any(re.fullmatch(pattern, bad) for bad in ("registrar", "a@b", "a b@c.d", "@c.d"))


# What holds data a person cannot re-create: kept when the stack is deleted or a resource replaced.
# The artifacts bucket is not: its frames and annotated images are derived and expire anyway.
RETAINED = {
    "InputBucket",
    "OutputBucket",
    "KnownFacesBucket",
    "AccessLogsBucket",
    "StudentsTable",
    "CoursesTable",
    "IdempotencyTable",
    "UndeliveredUploadsQueue",
}


def test_what_holds_data_outlives_the_stack():
    holders = ("AWS::S3::Bucket", "AWS::DynamoDB::Table", "AWS::SQS::Queue")
    kept = {
        logical_id
        for logical_id, r in TEMPLATE.resources.items()
        if r["Type"] in holders and r.get("DeletionPolicy") == "Retain"
    }
    assert kept == RETAINED
    for logical_id in RETAINED:
        assert TEMPLATE.resources[logical_id]["UpdateReplacePolicy"] == "Retain", logical_id
    for logical_id, policy in TEMPLATE.of_type("AWS::S3::BucketPolicy").items():  # TLS only, log delivery
        retained = policy["Properties"]["Bucket"]["Ref"] in RETAINED
        kept = policy.get("DeletionPolicy") == policy.get("UpdateReplacePolicy") == "Retain"
        assert kept == retained, logical_id


def test_lecture_concurrency_stays_within_an_inline_maps_40():
    """AWS runs at most 40 iterations of an inline Map at once: the template refuses more, and so does the
    local stack's reading of it."""
    declared = BODY["Parameters"]["LectureConcurrency"]
    assert (declared["MinValue"], declared["MaxValue"]) == (1, 40)
    assert 1 <= declared["Default"] <= 40
    assert Template(parameters={"LectureConcurrency": "40"}).ref("LectureConcurrency") == "40"
    for refused in ("41", "0"):
        with pytest.raises(ValueError, match="LectureConcurrency"):
            Template(parameters={"LectureConcurrency": refused})
