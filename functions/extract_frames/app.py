"""Step 1: sample frames across the uploaded video and store them as JPEGs in the artifacts bucket."""

import os
import shutil
import tempfile
from pathlib import Path

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from classroom_common import idempotency, keys, storage
from classroom_common.errors import VideoMissing, VideoTooLarge
from classroom_common.models import Frames, Video
from frames import Limits, extract

logger = Logger()
tracer = Tracer()
metrics = Metrics()

SAMPLES = min(60, max(1, int(os.environ.get("FRAME_SAMPLES", "6"))))  # bounds work on any clip
MAX_BYTES = int(os.environ.get("MAX_VIDEO_BYTES", str(200 * 1024 * 1024)))
LIMITS = Limits(
    max_seconds=float(os.environ.get("MAX_VIDEO_SECONDS", "600")),
    max_pixels=int(os.environ.get("MAX_VIDEO_PIXELS", str(3840 * 2160))),
)


def download(video: Video, path: Path) -> None:
    """Exactly the uploaded object of the event: its version, or (unversioned bucket) its ETag."""
    which = {"VersionId": video.version_id} if video.version_id else {"IfMatch": video.etag}
    body = storage.s3().get_object(Bucket=video.bucket, Key=video.key, **which)["Body"]
    with path.open("wb") as file:
        shutil.copyfileobj(body, file, 1024 * 1024)


@idempotency.once_per_upload(Frames)
@tracer.capture_method
def extract_frames(*, video: Video, artifacts_bucket: str) -> Frames:
    if video.size > MAX_BYTES:
        raise VideoTooLarge(f"{video.size} bytes is above the limit of {MAX_BYTES} bytes")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "video"
        try:
            download(video, path)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NoSuchVersion", "412"):
                raise VideoMissing(
                    f"s3://{video.bucket}/{video.key} (ETag {video.etag}) was deleted or replaced "
                    "before it could be processed"
                ) from error
            raise
        info, jpegs = extract(path, SAMPLES, LIMITS)
    prefix = keys.run_prefix(video.key, video.etag)
    frame_keys = []
    for index, jpeg in jpegs:
        key = f"{prefix}frames/{index:06d}.jpg"
        storage.s3().put_object(Bucket=artifacts_bucket, Key=key, Body=jpeg, ContentType="image/jpeg")
        frame_keys.append(key)
    return Frames(
        bucket=artifacts_bucket,
        keys=frame_keys,
        indices=[index for index, _ in jpegs],
        fps=info.fps,
        frame_count=info.frame_count,
        duration=round(info.duration, 3),
        width=info.width,
        height=info.height,
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@storage.transient_errors
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register(context)
    video = Video.from_event(event)
    logger.append_keys(video=video.key)
    frames = extract_frames(video=video, artifacts_bucket=storage.env("ARTIFACTS_BUCKET"))
    logger.info("frames extracted", extra={"frames": len(frames.keys), "duration": frames.duration})
    metrics.add_metric(name="FramesExtracted", unit=MetricUnit.Count, value=len(frames.keys))
    return {"video": video.model_dump(), "frames": frames.model_dump()}
