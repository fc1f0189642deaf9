"""Small S3 and DynamoDB helpers: clients built once per container, JSON in and out."""

import functools
import json
import os
from collections.abc import Callable
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})


@cache
def s3():
    return boto3.client("s3", config=_CONFIG)


@cache
def dynamodb():
    return boto3.client("dynamodb", config=_CONFIG)


class TransientAwsError(Exception):
    """S3 or DynamoDB throttled us or failed (5xx) past the SDK's own retries: the state machine
    retries the step under this name (botocore raises a plain ClientError for S3's SlowDown)."""


_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeout",
}


def is_transient(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in _TRANSIENT_CODES or status >= 500


def transient_errors(handler: Callable) -> Callable:
    """Decorate a Lambda handler: a transient AWS failure leaves it as TransientAwsError."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except ClientError as error:
            if is_transient(error):
                raise TransientAwsError(str(error)) from error
            raise

    return wrapper


def env(name: str) -> str:
    """A required environment variable, with an error that names it."""
    try:
        return os.environ[name]
    except KeyError:
        raise RuntimeError(f"environment variable {name} is not set") from None


def put_json(bucket: str, key: str, body: Any) -> None:
    s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(body, indent=2, default=str).encode(),
        ContentType="application/json",
    )


def get_bytes(bucket: str, key: str) -> bytes:
    return s3().get_object(Bucket=bucket, Key=key)["Body"].read()
