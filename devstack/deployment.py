"""A running Smart Classroom: its stack outputs and clients, on the local stack or on AWS."""

from dataclasses import dataclass, field

import boto3
from botocore.config import Config

from devstack.template import REGION, Template

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=64)


@dataclass
class Deployment:
    outputs: dict[str, str]
    endpoint: str | None = None  # the local stack's URL; None for AWS
    region: str | None = REGION
    _clients: dict = field(default_factory=dict, repr=False)

    @classmethod
    def local(cls, endpoint: str) -> "Deployment":
        """A local stack started elsewhere (``classroom up``): its names follow from the template. The
        URL may leave out ``http://`` (``127.0.0.1:5000``) or end in ``/``."""
        endpoint = endpoint.strip().rstrip("/")
        if "://" not in endpoint:
            endpoint = f"http://{endpoint}"
        return cls(Template().outputs(), endpoint=endpoint)

    @classmethod
    def from_stack(cls, stack_name: str, region: str | None = None) -> "Deployment":
        """A deployed CloudFormation stack, through the standard boto3 credential chain."""
        cfn = boto3.client("cloudformation", region_name=region)
        stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        return cls(outputs, endpoint=None, region=cfn.meta.region_name)

    def client(self, service: str):
        if service not in self._clients:
            local = (
                {
                    "endpoint_url": self.endpoint,
                    "aws_access_key_id": "testing",
                    "aws_secret_access_key": "testing",
                }
                if self.endpoint
                else {}
            )
            self._clients[service] = boto3.client(service, region_name=self.region, config=_CONFIG, **local)
        return self._clients[service]

    def __getitem__(self, output: str) -> str:
        return self.outputs[output]
