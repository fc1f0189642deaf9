"""ExtractFrames, ExtractMoreFrames, ExtractSegment: sample frames across the uploaded video and store
them as JPEGs in the artifacts bucket (contracts: ``classroom_common.states``).

The video is read straight from S3 with ranged GETs (``ranged.py``), never downloaded: only its header
and the bytes around the frames decoded. A clip's frames come in two batches: the two earliest
samples (often all the recognizer needs, and the cheapest to decode), and, only if it asks for them, the
rest (ExtractMoreFrames); decoding stops at the last frame of a batch. A video longer than
``LECTURE_SECONDS`` is a lecture: ExtractFrames only plans its samples (``lecture.py``), and each
iteration of the state machine's Map extracts one segment (ExtractSegment). The three share one Lambda:
ExtractMoreFrames follows ExtractFrames seconds later and finds its container warm.

A class photo (a JPEG, PNG or WebP, told by its first bytes, not its name) is a clip of one frame
(``photo.py``): stored as the one frame, fps 1 and duration 0 (so first seen = last seen = 0 s), nothing
remaining; the rest of the state machine runs as for a one-frame clip.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

import photo
from classroom_common import idempotency, keys, storage
from classroom_common.errors import InvalidVideo, TransientAwsError, VideoMissing, VideoTooLarge
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import Frames, Lecture, Part, Video
from classroom_common.states import (
    ExtractedFrames,
    ExtractFramesEvent,
    ExtractFramesInput,
    ExtractMoreFramesInput,
    ExtractSegmentInput,
    NextFrames,
)
from frames import (
    FIRST_BATCH,
    Decoder,
    Limits,
    VideoInfo,
    check_limits,
    opened,
    sample_indices,
    still_to_decode,
    to_jpeg,
)
from lecture import Sampling, sample_frames, segments
from ranged import RangedObject

SAMPLES = min(60, max(1, int(os.environ.get("FRAME_SAMPLES", "7"))))  # bounds work on any clip
MAX_BYTES = int(os.environ.get("MAX_VIDEO_BYTES", str(5 * 1024**3)))
LIMITS = Limits(
    max_seconds=float(os.environ.get("MAX_VIDEO_SECONDS", Limits.max_seconds)),
    max_pixels=int(os.environ.get("MAX_VIDEO_PIXELS", Limits.max_pixels)),
)
LECTURE_SECONDS = float(os.environ.get("LECTURE_SECONDS", "300"))
SAMPLING = Sampling(
    interval=max(1.0, float(os.environ.get("LECTURE_SAMPLE_SECONDS", "60"))),
    arrival=max(0.0, float(os.environ.get("LECTURE_ARRIVAL_SECONDS", "600"))),
)
CONCURRENCY = max(1, int(os.environ.get("LECTURE_CONCURRENCY", "10")))
MAX_PHOTO_BYTES = min(MAX_BYTES, photo.BYTES_PER_PIXEL * LIMITS.max_pixels)  # a photo is read whole
GONE = ("404", "NoSuchKey", "NoSuchVersion", "412", "PreconditionFailed")


def missing(video: Video, error: Exception) -> Exception:
    """VideoMissing when S3 says this version (or ETag) of the upload is gone; a network or service
    failure under the reads as TransientAwsError (the state machine retries it); else the error itself."""
    if not isinstance(error, ClientError):
        return TransientAwsError(f"reading s3://{video.bucket}/{video.key} failed: {error!r}")
    code = error.response.get("Error", {}).get("Code", "")
    if code in GONE or (code == "400" and video.version_id):  # HEAD of a deleted version id: 400
        return VideoMissing(
            f"s3://{video.bucket}/{video.key} (ETag {video.etag}) was deleted or replaced "
            "before it could be processed"
        )
    return error


def source(video: Video) -> RangedObject:
    """Exactly the uploaded object of the event (its version, or in an unversioned bucket its ETag),
    read with ranged GETs: never downloaded whole."""
    quoted = video.etag if video.etag.startswith('"') else f'"{video.etag}"'
    pin = {"VersionId": video.version_id} if video.version_id else {"IfMatch": quoted}
    try:
        size = storage.s3().head_object(Bucket=video.bucket, Key=video.key, **pin)["ContentLength"]
    except ClientError as error:
        raise missing(video, error) from error
    return RangedObject(storage.s3(), video.bucket, video.key, size, pin)


@contextmanager
def opened_upload(video: Video, stream: RangedObject | None = None) -> Iterator[Decoder]:
    """The uploaded video (``stream``, if it is open already), open for decoding straight from S3, its
    metadata checked."""
    stream = stream or source(video)
    try:
        with opened(stream, LIMITS) as decoder:
            yield decoder
            if stream.error:
                raise missing(video, stream.error) from stream.error
    except InvalidVideo:
        if stream.error:  # S3 failed under OpenCV: that, not the video, is the error
            raise missing(video, stream.error) from stream.error
        raise
    finally:
        logger.info(
            "video read",
            extra={"bytes_read": stream.bytes_fetched, "requests": stream.requests, "size": stream.size},
        )
        metrics.add_metric(name="VideoBytesRead", unit=MetricUnit.Bytes, value=stream.bytes_fetched)


def store(video: Video, jpegs: list[tuple[int, bytes]], bucket: str) -> list[str]:
    prefix = keys.run_prefix(video.key, video.etag)
    frame_keys = []
    for index, jpeg in jpegs:
        key = f"{prefix}frames/{index:06d}.jpg"
        storage.s3().put_object(Bucket=bucket, Key=key, Body=jpeg, ContentType="image/jpeg")
        frame_keys.append(key)
    return frame_keys


@idempotency.once_per_upload(ExtractedFrames)
@tracer.capture_method
def extract_frames(*, video: Video, artifacts_bucket: str) -> ExtractedFrames:
    """ExtractFrames: the video's checked metadata and its earliest samples; for a lecture, the
    metadata and the plan of its segments."""
    if video.size > MAX_BYTES:
        raise VideoTooLarge(f"{video.size} bytes is above the limit of {MAX_BYTES} bytes")
    stream = source(video)
    head = stream.read(photo.HEAD)
    if stream.error:
        raise missing(video, stream.error) from stream.error
    stream.seek(0)
    if (form := photo.kind(head)) is not None:
        return extract_photo(video, stream, form, artifacts_bucket)
    if photo.named_as_photo(video.key):
        raise photo.not_a_photo(video.key, head)
    with opened_upload(video, stream) as decoder:
        info = decoder.info
        if info.duration > LECTURE_SECONDS:  # only the header was read: the Map does the rest
            return ExtractedFrames(
                video=video, frames=metadata(info, artifacts_bucket), lecture=lecture_plan(info)
            )
        order = sample_indices(info.frame_count, SAMPLES)
        jpegs = decoder.jpegs(order[:FIRST_BATCH])
    frames = metadata(info, artifacts_bucket).model_copy(
        update={
            "keys": store(video, jpegs, artifacts_bucket),
            "indices": [index for index, _ in jpegs],
            "remaining": still_to_decode(order[FIRST_BATCH:], [index for index, _ in jpegs]),
        }
    )
    return ExtractedFrames(video=video, frames=frames)


def extract_photo(video: Video, stream: RangedObject, form: str, bucket: str) -> ExtractedFrames:
    """ExtractFrames for a class photo: read whole (bounded by bytes, and by pixels from its header
    before any is decoded), stored as a clip's one frame is."""
    if stream.size > MAX_PHOTO_BYTES:
        raise VideoTooLarge(
            f"a {form} photo of {stream.size} bytes is above the limit of {MAX_PHOTO_BYTES} bytes "
            f"({photo.BYTES_PER_PIXEL} a pixel of MaxVideoPixels)"
        )
    data = stream.read_all()
    logger.info("photo read", extra={"bytes_read": stream.bytes_fetched, "requests": stream.requests})
    metrics.add_metric(name="VideoBytesRead", unit=MetricUnit.Bytes, value=stream.bytes_fetched)
    if stream.error or len(data) != stream.size:
        error = stream.error or OSError(f"read {len(data)} of {stream.size} bytes")
        raise missing(video, error) from error
    width, height = photo.dimensions(data, form)
    check_limits(VideoInfo(fps=1.0, frame_count=1, width=width, height=height), LIMITS)
    image = photo.decode(data, form)
    height, width = image.shape[:2]  # as it is seen: turned by its EXIF orientation
    frames = Frames(
        bucket=bucket,
        keys=store(video, [(0, to_jpeg(image))], bucket),
        indices=[0],
        remaining=[],
        fps=1.0,
        frame_count=1,
        duration=0.0,
        width=width,
        height=height,
    )
    return ExtractedFrames(video=video, frames=frames)


def metadata(info: VideoInfo, bucket: str) -> Frames:
    """The video's metadata, no frames yet."""
    return Frames(
        bucket=bucket,
        keys=[],
        indices=[],
        fps=info.fps,
        frame_count=info.frame_count,
        duration=round(info.duration, 3),
        width=info.width,
        height=info.height,
    )


def lecture_plan(info: VideoInfo) -> Lecture:
    """A lecture's samples, cut into the segments the Map fans out over."""
    indices = sample_frames(info.frame_count, info.fps, SAMPLING)
    return Lecture(
        interval=SAMPLING.interval,
        arrival=SAMPLING.arrival,
        samples=len(indices),
        concurrency=CONCURRENCY,
        segments=segments(indices),
    )


def decode_and_store(video: Video, frames: Frames, indices: list[int]) -> Frames:
    """``frames`` with the frames at ``indices`` in place of its own: decoded straight from S3, stored."""
    with opened_upload(video) as decoder:
        jpegs = decoder.jpegs(indices)
    return frames.model_copy(
        update={"keys": store(video, jpegs, frames.bucket), "indices": [index for index, _ in jpegs]}
    )


@idempotency.once_per_upload(NextFrames)
@tracer.capture_method
def extract_more_frames(*, video: Video, frames: Frames) -> NextFrames:
    """ExtractMoreFrames: the frames a clip's first batch left (``frames.remaining``)."""
    more = decode_and_store(video, frames, frames.remaining)
    return NextFrames(frames=more.model_copy(update={"remaining": []}))


@idempotency.once_per_segment(NextFrames)
@tracer.capture_method
def extract_segment(*, part: Part, frames: Frames) -> NextFrames:
    """ExtractSegment: one segment of a lecture (a Map iteration), its sampled frames."""
    return NextFrames(frames=decode_and_store(part.video, frames, part.segment.indices))


@step_handler
@event_parser(model=ExtractFramesEvent)
def lambda_handler(event: ExtractFramesEvent, context: LambdaContext) -> dict:
    """ExtractFrames, ExtractMoreFrames or ExtractSegment, as ``event.state`` names it."""
    match event:
        case ExtractFramesInput():
            video = Video.from_event(event.upload)
            logger.append_keys(video=video.key)
            result: ExtractedFrames | NextFrames = extract_frames(
                video=video, artifacts_bucket=env("ARTIFACTS_BUCKET")
            )
        case ExtractMoreFramesInput():
            logger.append_keys(video=event.video.key)
            result = extract_more_frames(video=event.video, frames=event.frames)
        case ExtractSegmentInput():
            logger.append_keys(video=event.video.key)
            result = extract_segment(part=Part(video=event.video, segment=event.segment), frames=event.frames)
    frames = result.frames
    logger.info("frames extracted", extra={"frames": frames.indices, "remaining": frames.remaining})
    metrics.add_metric(name="FramesExtracted", unit=MetricUnit.Count, value=len(frames.keys))
    return result.model_dump()
