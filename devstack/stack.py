"""Start moto on loopback and create the template's resources in it, with our handlers as the Lambdas."""

import dataclasses
import functools
import io
import json
import logging
import os
import tempfile
import threading
import zipfile
from pathlib import Path

from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.server import ThreadedMotoServer

from devstack import object_files, seams, speedups
from devstack.cpu_share import lambda_share
from devstack.deployment import Deployment
from devstack.lambdas import FunctionPool, shut_down
from devstack.sandbox_errors import Style
from devstack.storage import create_storage
from devstack.template import ACCOUNT, REGION, Template

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/smart-classroom-local"


class LocalStack:
    """The whole app on this machine: ``with LocalStack() as stack: stack.deployment ...``."""

    def __init__(
        self,
        workdir: Path = Path(".classroom"),
        port: int = 0,
        max_workers: int = 2,
        template: Template | None = None,
        timeouts: dict[str, int] | None = None,
        warm_workers: int = 1,
        lambda_errors: Style = "named",
        cpu_share: bool = False,
    ) -> None:
        self.template = template or Template()
        self.workdir = workdir
        self.port = port
        self.max_workers = max_workers
        self.timeouts = timeouts or {}  # logical id -> seconds, overriding the template (tests)
        self.warm_workers = warm_workers  # started per function before the first upload
        self.lambda_errors = lambda_errors  # a crash or timeout as Runtime.ExitError…, or Lambda.Unknown
        self.cpu_share = cpu_share  # each invocation held to the CPU its MemorySize buys on Lambda
        self.pools: dict[str, FunctionPool] = {}
        self.objects: Path | None = None  # its folder for S3 objects on disk, removed when it stops
        self._server: ThreadedMotoServer | None = None
        self.endpoint = ""

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @functools.cached_property
    def deployment(self) -> Deployment:
        """The running stack as a client sees it (outputs and boto3 clients)."""
        assert self.endpoint, "start() the stack first"
        return Deployment(self.template.outputs(), endpoint=self.endpoint)

    def start(self) -> "LocalStack":
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        # moto logs every caught task failure with its whole payload; the history has them
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.objects = Path(tempfile.mkdtemp(prefix="objects-", dir=self.workdir))  # S3 objects > 5 MiB
        seams.install(self._invoke, self.objects)
        speedups.install()
        default_user_config["stepfunctions"]["execute_state_machine"] = True
        # HTTP/1.1 responses; werkzeug still closes the connection after each one, so boto3 opens one per
        # request (no keep-alive: README, Benchmark).
        MotoRequestHandler.protocol_version = "HTTP/1.1"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        os.environ["MOTO_PORT"] = str(port)  # where moto's Step Functions interpreter calls Lambda
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        self._create_resources()
        warm = self.warm_workers
        warmers = [threading.Thread(target=pool.warm, args=(warm,)) for pool in self.pools.values()]
        for thread in warmers:
            thread.start()
        for thread in warmers:
            thread.join()
        return self

    def stop(self) -> None:
        """Stop the server and every worker at once (in well under a second)."""
        server, self._server = self._server, None
        stopping = threading.Thread(target=server.stop) if server else None
        if stopping:
            stopping.start()
        shut_down(list(self.pools.values()))
        if stopping:
            stopping.join()
        if self.objects:
            object_files.release(self.objects)

    def pool(self, logical_id: str) -> FunctionPool:
        """The worker pool running one function of the template."""
        return self.pools[self.template.physical_name(logical_id)]

    def client(self, service: str):
        return self.deployment.client(service)

    def _invoke(self, function_name: str, event: dict) -> tuple[str, bool, str]:
        result = self.pools[function_name].invoke(event)
        return result.payload, result.errored, result.logs

    def _create_resources(self) -> None:
        t = self.template
        create_storage(t, self.client("s3"), self.client("dynamodb"))
        self.client("iam").create_role(
            RoleName=ROLE.rsplit("/", 1)[1],
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {
                                "Service": [
                                    "lambda.amazonaws.com",
                                    "states.amazonaws.com",
                                    "events.amazonaws.com",
                                ]
                            },
                        }
                    ],
                }
            ),
        )
        lambda_ = self.client("lambda")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("README", "run by devstack's worker pools")
        environment = endpoint_environment(self.endpoint)
        for spec in t.functions().values():
            if spec.logical_id in self.timeouts:
                spec = dataclasses.replace(spec, timeout=self.timeouts[spec.logical_id])
            lambda_.create_function(
                FunctionName=spec.name,
                Runtime="python3.12",
                Role=ROLE,
                Handler=spec.handler,
                Code={"ZipFile": code.getvalue()},
                Timeout=spec.timeout,
                MemorySize=spec.memory,
                Environment={"Variables": spec.environment},
                Architectures=["arm64"],
            )
            self.pools[spec.name] = FunctionPool(
                spec, environment, self.max_workers, self.workdir / "logs" / f"{spec.logical_id}.log"
            )
            self.pools[spec.name].errors = self.lambda_errors
            self.pools[spec.name].cpu_share = lambda_share(spec.memory) if self.cpu_share else None
        sfn, events = self.client("stepfunctions"), self.client("events")
        for logical_id in t.of_type("AWS::Serverless::StateMachine"):
            definition, props = t.state_machine(logical_id)
            arn = sfn.create_state_machine(
                name=t.physical_name(logical_id),
                definition=definition,
                roleArn=ROLE,
                type=props.get("Type", "STANDARD"),
            )["stateMachineArn"]
            for event_name, pattern in t.event_rules(logical_id).items():
                rule = f"{t.physical_name(logical_id)}-{event_name}"
                events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")
                events.put_targets(Rule=rule, Targets=[{"Id": event_name, "Arn": arn, "RoleArn": ROLE}])
        for spec in t.functions().values():  # a rule targeting a function (seams delivers it)
            for event_name, pattern in t.event_rules(spec.logical_id).items():
                rule = f"{spec.name}-{event_name}"
                events.put_rule(Name=rule, EventPattern=json.dumps(pattern), State="ENABLED")
                events.put_targets(Rule=rule, Targets=[{"Id": event_name, "Arn": spec.arn}])


def endpoint_environment(endpoint: str) -> dict[str, str]:
    """What a worker adds to its template environment to reach the local stack at ``endpoint``."""
    return {
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
