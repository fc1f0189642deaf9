"""Step 1: sample frames across the uploaded video and store them as JPEGs in the artifacts bucket.

Frames come in two batches: the first two the recognizer looks at (often all it needs), and, only if
it asks for them, the rest. Decoding stops at the last frame of a batch.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from classroom_common import idempotency, keys, storage
from classroom_common.errors import VideoMissing, VideoTooLarge
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import ExtractedFrames, Frames, Video
from frames import FIRST_BATCH, Limits, VideoInfo, opened, read_jpegs, visit_order

SAMPLES = min(60, max(1, int(os.environ.get("FRAME_SAMPLES", "7"))))  # bounds work on any clip
MAX_BYTES = int(os.environ.get("MAX_VIDEO_BYTES", str(200 * 1024 * 1024)))
LIMITS = Limits(
    max_seconds=float(os.environ.get("MAX_VIDEO_SECONDS", "600")),
    max_pixels=int(os.environ.get("MAX_VIDEO_PIXELS", str(7680 * 4320))),
)


def download(video: Video, path: Path) -> None:
    """Exactly the uploaded object of the event: its version, or (unversioned bucket) its ETag."""
    which = {"VersionId": video.version_id} if video.version_id else {"IfMatch": video.etag}
    try:
        body = storage.s3().get_object(Bucket=video.bucket, Key=video.key, **which)["Body"]
    except ClientError as error:
        if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NoSuchVersion", "412"):
            raise VideoMissing(
                f"s3://{video.bucket}/{video.key} (ETag {video.etag}) was deleted or replaced "
                "before it could be processed"
            ) from error
        raise
    with path.open("wb") as file:
        shutil.copyfileobj(body, file, 1024 * 1024)


@contextmanager
def opened_upload(video: Video) -> Iterator[tuple[cv2.VideoCapture, VideoInfo]]:
    """The uploaded video, downloaded to a temporary file, open for decoding, its metadata checked."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video"
        download(video, path)
        with opened(path, LIMITS) as capture_and_info:
            yield capture_and_info


def store(video: Video, jpegs: list[tuple[int, bytes]], bucket: str) -> list[str]:
    prefix = keys.run_prefix(video.key, video.etag)
    frame_keys = []
    for index, jpeg in jpegs:
        key = f"{prefix}frames/{index:06d}.jpg"
        storage.s3().put_object(Bucket=bucket, Key=key, Body=jpeg, ContentType="image/jpeg")
        frame_keys.append(key)
    return frame_keys


@idempotency.once_per_upload(Frames)
@tracer.capture_method
def extract_frames(*, video: Video, artifacts_bucket: str) -> Frames:
    """The first batch: the video's checked metadata and the first frames in visiting order."""
    if video.size > MAX_BYTES:
        raise VideoTooLarge(f"{video.size} bytes is above the limit of {MAX_BYTES} bytes")
    with opened_upload(video) as (capture, info):
        order = visit_order(info.frame_count, SAMPLES)
        jpegs = read_jpegs(capture, info, order[:FIRST_BATCH])
    return Frames(
        bucket=artifacts_bucket,
        keys=store(video, jpegs, artifacts_bucket),
        indices=[index for index, _ in jpegs],
        remaining=order[FIRST_BATCH:],
        fps=info.fps,
        frame_count=info.frame_count,
        duration=round(info.duration, 3),
        width=info.width,
        height=info.height,
    )


@idempotency.once_per_upload(Frames)
@tracer.capture_method
def extract_more_frames(*, video: Video, frames: Frames) -> Frames:
    """The next batch: the frames the first one left (``frames.remaining``)."""
    with opened_upload(video) as (capture, info):
        jpegs = read_jpegs(capture, info, frames.remaining)
    return frames.model_copy(
        update={
            "keys": store(video, jpegs, frames.bucket),
            "indices": [index for index, _ in jpegs],
            "remaining": [],
        }
    )


@step_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """Input: the S3 ``Object Created`` event (first batch), or ``{video, frames}`` (the rest)."""
    if "frames" in event:
        video = Video(**event["video"])
        logger.append_keys(video=video.key)
        frames = extract_more_frames(video=video, frames=Frames(**event["frames"]))
    else:
        video = Video.from_event(event)
        logger.append_keys(video=video.key)
        frames = extract_frames(video=video, artifacts_bucket=env("ARTIFACTS_BUCKET"))
    logger.info("frames extracted", extra={"frames": frames.indices, "remaining": frames.remaining})
    metrics.add_metric(name="FramesExtracted", unit=MetricUnit.Count, value=len(frames.keys))
    return ExtractedFrames(video=video, frames=frames).model_dump()
