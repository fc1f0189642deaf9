"""Small S3 and DynamoDB helpers: clients built once per container, JSON in and out."""

import json
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})


@cache
def s3():
    return boto3.client("s3", config=_CONFIG)


@cache
def dynamodb():
    return boto3.client("dynamodb", config=_CONFIG)


def put_json(bucket: str, key: str, body: Any) -> None:
    s3().put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(body, indent=2, default=str).encode(),
        ContentType="application/json",
    )


def get_bytes(bucket: str, key: str) -> bytes:
    return s3().get_object(Bucket=bucket, Key=key)["Body"].read()
