"""Step 2: detect, encode and match the faces in the sampled frames against the known faces.

A clip's frames are looked at until two agree. A lecture's segment (one Map iteration) is looked at
whole, for attendance, and its result stored in the artifacts bucket; the last call merges the segments.
"""

import json
import os

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

import attendance as sightings
from annotate import annotate
from classroom_common import idempotency, keys, storage
from classroom_common.errors import KnownFacesUnavailable, is_transient
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import Attendance, Frames, Part, Recognition, Segment, SegmentResult, Video
from classroom_vision.faces import load_models
from classroom_vision.known_faces import KnownFaces
from recognition import MAX_FACES_PER_FRAME, Tally, recognize_frames

THRESHOLD = float(os.environ.get("MATCH_THRESHOLD", "0.6"))
MAX_FACES = int(os.environ.get("MAX_FACES_PER_FRAME", MAX_FACES_PER_FRAME))
load_models()

_known: dict[str, tuple[str, KnownFaces]] = {}  # object key -> (ETag, known faces)


def known_faces(bucket: str, key: str) -> KnownFaces:
    """The known faces, read again only when the object's ETag changes."""
    try:
        etag = storage.s3().head_object(Bucket=bucket, Key=key)["ETag"]
        if key not in _known or _known[key][0] != etag:
            _known[key] = (etag, KnownFaces.from_bytes(storage.get_bytes(bucket, key)))
            logger.info("known faces loaded", extra={"etag": etag, "people": len(_known[key][1].people)})
    except ClientError as error:
        if is_transient(error):
            raise
        raise KnownFacesUnavailable(f"cannot read s3://{bucket}/{key}: {error}") from error
    except ValueError as error:
        raise KnownFacesUnavailable(f"s3://{bucket}/{key} is not a known-faces file: {error}") from error
    return _known[key][1]


def look(
    video: Video,
    frames: Frames,
    known: KnownFaces,
    tally: Tally,
    seen: Attendance,
    segment: Segment | None = None,
) -> Recognition:
    """Go on with ``tally`` and ``seen`` over this batch of frames; ask for the rest if the answer is not
    settled. A lecture's ``segment`` is looked at whole, and keeps every sighting for the merge."""

    def on_frame(i: int, matches: list) -> None:
        sightings.record(seen, frames.indices[i] / frames.fps, (m.name for m in matches if m.name))

    best = recognize_frames(
        len(frames.keys),
        lambda i: storage.get_bytes(frames.bucket, frames.keys[i]),
        known,
        THRESHOLD,
        MAX_FACES,
        tally,
        until_stable=segment is None,
        on_frame=on_frame,
    )
    prefix = keys.run_prefix(video.key, video.etag)
    annotated_key = prefix + (f"segments/{segment.index:04d}/" if segment else "") + "annotated.jpg"
    if best is not None:
        storage.s3().put_object(
            Bucket=frames.bucket, Key=annotated_key, Body=annotate(*best), ContentType="image/jpeg"
        )
    result = tally.result(needed=1 if segment else None)  # a lecture votes over all its segments (merge)
    result.annotated_key = annotated_key if tally.best_named >= 0 else None
    result.more_frames = not tally.stable and bool(frames.remaining)
    result.tally = tally.model_dump() if result.more_frames else None
    unsettled = result.more_frames or segment is not None  # sightings still to be voted on
    result.attendance = seen if unsettled else sightings.of(seen, (m.name for m in result.students))
    return result


@idempotency.once_per_upload(Recognition)
@tracer.capture_method
def recognize(*, video: Video, frames: Frames, known: KnownFaces) -> Recognition:
    """The first batch of frames."""
    return look(video, frames, known, Tally(), Attendance())


@idempotency.once_per_upload(Recognition)
@tracer.capture_method
def recognize_more(*, video: Video, frames: Frames, known: KnownFaces, so_far: Recognition) -> Recognition:
    """The next batch, carrying on from the first one's tally and sightings."""
    seen = so_far.attendance or Attendance()
    return look(video, frames, known, Tally.model_validate(so_far.tally or {}), seen)


@idempotency.once_per_segment(SegmentResult)
@tracer.capture_method
def recognize_segment(*, part: Part, frames: Frames, known: KnownFaces) -> SegmentResult:
    """One segment of a lecture (a Map iteration), every frame of it; the result goes to S3."""
    result = look(part.video, frames, known, Tally(), Attendance(), segment=part.segment)
    key = keys.run_prefix(part.video.key, part.video.etag) + f"segments/{part.segment.index:04d}.json"
    storage.put_json(frames.bucket, key, result.model_dump())
    return SegmentResult(
        segment=part.segment.index,
        bucket=frames.bucket,
        key=key,
        frames_used=result.frames_used,
        people=len(result.students),
    )


@tracer.capture_method
def merge_segments(segments: list[SegmentResult]) -> Recognition:
    """A lecture's segments as one recognition (reads only; the same segments give the same answer)."""
    parts = [Recognition(**json.loads(storage.get_bytes(s.bucket, s.key))) for s in segments]
    return sightings.merge(parts)


@step_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """Input: ``{video, frames}`` (a clip's first batch), with ``recognition`` (its next batch), with
    ``segment`` (one segment of a lecture), or ``{video, segments}`` (the lecture's merge)."""
    video = Video(**event["video"])
    logger.append_keys(video=video.key)
    if "segments" in event:
        result = merge_segments([SegmentResult(**s) for s in event["segments"]])
        logger.info("segments merged", extra=result.model_dump(exclude={"tally", "attendance"}))
        return result.model_dump()
    frames = Frames(**event["frames"])
    known = known_faces(env("KNOWN_FACES_BUCKET"), env("KNOWN_FACES_KEY"))
    if "segment" in event:
        part = Part(video=video, segment=Segment(**event["segment"]))
        done = recognize_segment(part=part, frames=frames, known=known)
        logger.info("segment recognized", extra=done.model_dump())
        return done.model_dump()
    so_far = Recognition(**event["recognition"]) if "recognition" in event else None
    if so_far is None:
        result = recognize(video=video, frames=frames, known=known)
    else:
        result = recognize_more(video=video, frames=frames, known=known, so_far=so_far)
    logger.info("faces recognized", extra=result.model_dump(exclude={"tally", "attendance"}))
    encoded = result.faces - (so_far.faces if so_far else 0)
    metrics.add_metric(name="FacesEncoded", unit=MetricUnit.Count, value=encoded)
    metrics.add_metric(name="UnknownFaces", unit=MetricUnit.Count, value=result.unknown_faces)
    return result.model_dump()
