"""MergeSegments: a lecture's segments as one recognition (contract: ``classroom_common.states``).

Its own Lambda, sharing this folder with RecognizeFaces: it reads JSON and votes, so it imports no
vision code and loads no networks (its layer is the common one only).
"""

import json

from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

import attendance
from classroom_common import storage
from classroom_common.handler import logger, step_handler, tracer
from classroom_common.models import Recognition, SegmentResult
from classroom_common.states import MergeSegmentsInput


@tracer.capture_method
def merge_segments(segments: list[SegmentResult]) -> Recognition:
    """The stored segments' recognitions merged (reads only: the same segments give the same answer)."""
    parts = [Recognition(**json.loads(storage.get_bytes(s.bucket, s.key))) for s in segments]
    return attendance.merge(parts)


@step_handler
@event_parser(model=MergeSegmentsInput)
def lambda_handler(event: MergeSegmentsInput, context: LambdaContext) -> dict:
    logger.append_keys(video=event.video.key)
    result = merge_segments(event.segments)
    logger.info("segments merged", extra=result.model_dump(exclude={"attendance"}))
    return result.model_dump()
