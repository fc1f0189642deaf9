"""At-least-once delivery: a step run twice for the same upload does its work once.

EventBridge may deliver one ``Object Created`` event twice, starting two executions.
Each step's work is keyed on the upload (bucket, key, ETag, version), so the second
execution gets the first one's results from the idempotency table; a new upload to the
same key has a new ETag/version and is processed again. While the first run is still
working, the second gets ``IdempotencyAlreadyInProgressError``, which the state machine retries.
"""

import os

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

config = IdempotencyConfig(expires_after_seconds=24 * 3600)


def once_per(keyword: str, output: type[BaseModel]):
    """Decorate a step function whose ``keyword`` argument identifies its work."""
    return idempotent_function(
        data_keyword_argument=keyword,
        persistence_store=DynamoDBPersistenceLayer(table_name=os.environ.get("IDEMPOTENCY_TABLE", "")),
        config=config,
        output_serializer=PydanticSerializer(output),
    )


def once_per_upload(output: type[BaseModel]):
    """Decorate a step function whose ``video`` keyword argument identifies the upload."""
    return once_per("video", output)


def once_per_segment(output: type[BaseModel]):
    """Decorate a step function whose ``part`` keyword argument (the upload and one segment of it)
    identifies its work: each segment of a lecture is done once, whichever iteration runs it."""
    return once_per("part", output)


def register(context: LambdaContext) -> None:
    """Let a timed-out invocation's in-progress record expire when the invocation would have."""
    config.register_lambda_context(context)
