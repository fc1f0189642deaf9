"""Read template.yaml (CloudFormation tags included) and resolve what the local stack needs from it."""

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """YAML with ``!Ref``, ``!GetAtt``, ``!Sub`` … read as their long ``Fn::`` forms."""


def _tag(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _tag)


def read(path: Path) -> dict:
    """A CloudFormation/SAM YAML file, short-form intrinsics in their long form."""
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader subclass)


@dataclass(frozen=True)
class FunctionSpec:
    """What the local stack needs to run one AWS::Serverless::Function."""

    logical_id: str
    name: str
    code_dir: Path
    handler: str
    timeout: int
    memory: int
    environment: dict[str, str]
    layer_dirs: tuple[Path, ...]

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.name}"

    @property
    def short_name(self) -> str:
        """``merge_segments`` for MergeSegmentsFunction: its event file's name and the CLI's short name
        (a folder name is not enough: two functions may share a CodeUri)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.logical_id.removesuffix("Function")).lower()

    @property
    def python_path(self) -> tuple[Path, ...]:
        """Where its Lambda imports from, first to last: the code folder (/var/task), then each layer."""
        return (self.code_dir, *self.layer_dirs)


def check_parameter(name: str, value: str, declared: dict) -> None:
    """Refuse a parameter value as CloudFormation does: a Number outside MinValue..MaxValue, a String
    not matching AllowedPattern, a value not in AllowedValues."""
    problem = None
    if declared.get("Type") == "Number":
        number = float(value)
        if "MinValue" in declared and number < float(declared["MinValue"]):
            problem = f"below its MinValue {declared['MinValue']}"
        if "MaxValue" in declared and number > float(declared["MaxValue"]):
            problem = f"above its MaxValue {declared['MaxValue']}"
    if "AllowedPattern" in declared and not re.fullmatch(declared["AllowedPattern"], value):
        problem = f"not matching its AllowedPattern {declared['AllowedPattern']}"
    if "AllowedValues" in declared and value not in map(str, declared["AllowedValues"]):
        problem = f"not one of {declared['AllowedValues']}"
    if problem:
        raise ValueError(f"parameter {name}={value!r} is {problem}")


@dataclass
class Template:
    """The SAM template, with the physical names the local stack gives its resources."""

    path: Path = TEMPLATE
    stack_name: str = "smart-classroom"
    parameters: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.parameters.items():
            check_parameter(name, str(value), self.body["Parameters"][name])

    @cached_property
    def body(self) -> dict:
        return read(self.path)

    @property
    def resources(self) -> dict[str, dict]:
        return self.body["Resources"]

    def of_type(self, kind: str) -> dict[str, dict]:
        return {k: v for k, v in self.resources.items() if v["Type"] == kind}

    def physical_name(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = f"{self.stack_name}-{logical_id}"
        return name.lower() if kind == "AWS::S3::Bucket" else name

    def arn(self, logical_id: str) -> str:
        kind, name = self.resources[logical_id]["Type"], self.physical_name(logical_id)
        return {
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
            "AWS::Serverless::StateMachine": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}",
            "AWS::Serverless::LayerVersion": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:{name}:1",
            "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}",
        }.get(kind, name)

    def ref(self, name: str) -> str:
        if name in self.resources:
            kind = self.resources[name]["Type"]
            if kind in ("AWS::Serverless::StateMachine", "AWS::Serverless::LayerVersion", "AWS::SNS::Topic"):
                return self.arn(name)
            return self.physical_name(name)
        if name == "AWS::Region":
            return REGION
        if name == "AWS::AccountId":
            return ACCOUNT
        if name == "AWS::StackName":
            return self.stack_name
        if name in self.parameters:
            return str(self.parameters[name])
        return str(self.body["Parameters"][name]["Default"])

    def resolve(self, value: Any) -> Any:
        """Resolve Ref, Fn::GetAtt (Arn) and Fn::Sub throughout ``value``."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"}:
            return self.ref(value["Ref"])
        if set(value) == {"Fn::GetAtt"}:
            logical_id, attribute = value["Fn::GetAtt"]
            if attribute != "Arn":
                raise NotImplementedError(f"GetAtt {logical_id}.{attribute}")
            return self.arn(logical_id)
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), value["Fn::Sub"])
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, name: str) -> str:
        if name.endswith(".Arn"):
            return self.arn(name[: -len(".Arn")])
        return self.ref(name)

    def outputs(self) -> dict[str, str]:
        return {k: self.resolve(v["Value"]) for k, v in self.body.get("Outputs", {}).items()}

    def functions(self) -> dict[str, FunctionSpec]:
        """Every function, its properties merged over ``Globals.Function`` as SAM does."""
        glob = self.body.get("Globals", {}).get("Function", {})
        specs = {}
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            props = resource["Properties"]
            env = {
                **glob.get("Environment", {}).get("Variables", {}),
                **props.get("Environment", {}).get("Variables", {}),
            }
            layers = glob.get("Layers", []) + props.get("Layers", [])
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                name=self.physical_name(logical_id),
                code_dir=self.path.parent / props["CodeUri"],
                handler=props.get("Handler", glob.get("Handler")),
                timeout=int(props.get("Timeout", glob.get("Timeout", 3))),
                memory=int(props.get("MemorySize", glob.get("MemorySize", 128))),
                environment={k: str(self.resolve(v)) for k, v in env.items()},
                layer_dirs=tuple(self._layer_dir(layer["Ref"]) for layer in layers),
            )
        return specs

    def function(self, name: str) -> FunctionSpec:
        """The function named by its logical id, its short name (``extract_frames``) or its physical name."""
        specs = self.functions()
        for spec in specs.values():
            if name in (spec.logical_id, spec.short_name, spec.name):
                return spec
        choices = ", ".join(f"{s.logical_id} ({s.short_name})" for s in specs.values())
        raise LookupError(f"no function {name!r} in the template; one of: {choices}")

    def _layer_dir(self, logical_id: str) -> Path:
        """A layer's source folder, which holds its own package (classroom_common, classroom_vision);
        the packages its build installs (Powertools; numpy, OpenCV, dlib) come from the project's
        environment instead."""
        return self.path.parent / self.resources[logical_id]["Properties"]["ContentUri"]

    def state_machine(self, logical_id: str) -> tuple[str, dict]:
        """The state machine's definition with its ``DefinitionSubstitutions`` applied."""
        props = self.resources[logical_id]["Properties"]
        text = (self.path.parent / props["DefinitionUri"]).read_text()
        for name, value in self.resolve(props.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + name + "}", value)
        return text, props

    def event_rules(self, logical_id: str) -> dict[str, dict]:
        """A state machine's or function's ``EventBridgeRule`` events: name -> resolved event pattern."""
        events = self.resources[logical_id]["Properties"].get("Events", {})
        return {
            name: self.resolve(event["Properties"]["Pattern"])
            for name, event in events.items()
            if event["Type"] == "EventBridgeRule"
        }
