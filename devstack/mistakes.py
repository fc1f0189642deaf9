"""A user's likely mistakes with ``classroom`` as one line each that says what to do, instead of a traceback:
a file that is not there, an endpoint where no local stack answers, a stack that is not deployed, an
execution that does not exist."""

import json
import socket
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ProfileNotFound,
    ReadTimeoutError,
)

from devstack.deployment import Deployment

START_ONE = "start one in another terminal with `classroom up`, which prints its URL"


class Mistake(Exception):
    """Something the user can put right; the message is one line and says how. Exit status 2."""


def existing_file(path: Path, what: str) -> Path:
    """``path``, when it is a file; else a Mistake naming ``what`` it should have been."""
    if path.is_dir():
        raise Mistake(f"{path} is a folder; {what} is a file")
    if not path.is_file():
        raise Mistake(f"{path}: no such file ({what}); check the path (relative to {Path.cwd()})")
    return path


def read_json(path: Path, what: str) -> object:
    """The JSON in ``path``, or a Mistake saying where it stops being JSON."""
    try:
        return json.loads(existing_file(path, what).read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise Mistake(f"{path} is not valid JSON ({what}): {error}") from error


def port_free(port: int, host: str = "127.0.0.1") -> None:
    """Raise a Mistake when something already listens on ``host:port`` (a second ``classroom up``)."""
    if port == 0:
        return
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise Mistake(
                f"{host}:{port} is in use ({error.strerror}): is a `classroom up` running already? "
                f"Use it (--endpoint http://{host}:{port}), stop it, or pick another --port"
            ) from error


def explain(error: BaseException, endpoint: str | None = None, stack: str | None = None) -> str | None:
    """One line for an error a user's mistake causes, or None for a bug (its traceback is wanted)."""
    if isinstance(error, Mistake):
        return str(error)
    if isinstance(error, EndpointConnectionError):
        where = endpoint or error.kwargs.get("endpoint_url", "the endpoint")
        return f"no local stack answers at {where}: {START_ONE}, or correct --endpoint"
    if isinstance(error, NoCredentialsError):
        return (
            "no AWS credentials for --stack: configure them (`aws configure`, or AWS_PROFILE); "
            "for the local stack use --endpoint instead"
        )
    if isinstance(error, NoRegionError):
        return "--stack needs a region: add --region (e.g. --region us-east-1) or set AWS_DEFAULT_REGION"
    if isinstance(error, ProfileNotFound):
        return f"{error}: check AWS_PROFILE (`aws configure list-profiles`)"
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if stack and code == "ValidationError" and "does not exist" in message:
            return (
                f"no stack named {stack} in this region: check --stack and --region, or deploy it "
                "(README, Deploy to AWS)"
            )
        if code in ("NoSuchBucket", "ResourceNotFoundException", "StateMachineDoesNotExist"):
            return (
                f"{endpoint or stack or 'the target'} has no Smart Classroom stack ({code}: {message}): "
                f"is it `classroom up`'s URL? {START_ONE}"
            )
        if code in (
            "ExpiredToken",
            "ExpiredTokenException",
            "InvalidClientTokenId",
            "UnrecognizedClientException",
        ):
            return f"AWS refused the credentials ({code}): refresh them (`aws sso login`, or new keys)"
        return f"{error.operation_name} failed: {code}: {message}"
    return None


def stack_answers(deployment: Deployment) -> Deployment:
    """``deployment`` (a local stack's), once its endpoint has answered as one: a Mistake, at once, when
    nothing listens there or something else does (a `classroom view`, another server)."""
    s3 = boto3.client(
        "s3",
        endpoint_url=deployment.endpoint,
        region_name=deployment.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (the local stack's: any will do)
        config=Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=15),
    )
    bucket = deployment["InputBucketName"]
    try:
        s3.head_bucket(Bucket=bucket)
    except (EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ConnectTimeoutError) as error:
        raise Mistake(
            f"no local stack answers at {deployment.endpoint}: {START_ONE}, or correct --endpoint"
        ) from error
    except (ClientError, BotoCoreError) as error:
        raise Mistake(
            f"{deployment.endpoint} answers, but not as a Smart Classroom local stack (no bucket {bucket}): "
            f"give --endpoint the URL `classroom up` printed, or {START_ONE}"
        ) from error
    return deployment
