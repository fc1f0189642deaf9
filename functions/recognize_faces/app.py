"""RecognizeFaces, RecognizeSegment: detect, encode and match the faces in the sampled frames against
the known faces (contracts: ``classroom_common.states``).

A clip's frames are looked at until two agree (RecognizeFaces, once per batch: the MoreFrames loop).
A lecture's segment (one Map iteration) is looked at whole, for attendance, and its result stored in
the artifacts bucket (RecognizeSegment); MergeSegments (``merge.py``, its own Lambda: it loads no
networks) merges them. Both states here need the networks, loaded once per container, at import.
"""

import os

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

import attendance as sightings
from annotate import annotate
from classroom_common import idempotency, keys, storage
from classroom_common.errors import KnownFacesUnavailable, is_transient
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import Attendance, Frames, Part, Segment, SegmentResult, Video
from classroom_common.states import (
    Batch,
    Carry,
    Recognized,
    RecognizeFacesEvent,
    RecognizeFacesInput,
    RecognizeSegmentInput,
)
from classroom_common.votes import Tally
from classroom_vision.encoding import Face
from classroom_vision.faces import load_models
from classroom_vision.known_faces import KnownFaces
from classroom_vision.matching import FaceMatch
from recognition import MAX_FACES_PER_FRAME, recognize_frames
from tracks import Tracks

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
    carry: Carry,
    segment: Segment | None = None,
) -> Recognized:
    """Go on from ``carry`` over this batch of frames; carry on if the answer is not settled. A
    lecture's ``segment`` is looked at whole: every person named once, with every sighting, for the
    merge to vote on over the whole lecture."""
    tally, seen = carry.tally, carry.sightings
    followed = (
        Tracks.model_validate_json(storage.get_bytes(frames.bucket, carry.tracks_key))
        if carry.tracks_key
        else Tracks()
    )

    def on_frame(i: int, faces: list[Face], matches: list[FaceMatch]) -> None:
        when = frames.indices[i] / frames.fps
        sightings.record(seen, when, (m.name for m in matches if m.name))
        followed.add(when, [f.box for f in faces], [f.encoding for f in faces], matches)

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
    annotated = annotated_key if tally.best_named >= 0 else None
    return answer(video, frames, known, tally, seen, followed, annotated, segment)


def answer(
    video: Video,
    frames: Frames,
    known: KnownFaces,
    tally: Tally,
    seen: Attendance,
    followed: Tracks,
    annotated_key: str | None,
    segment: Segment | None,
) -> Recognized:
    """Who is there so far, from each frame's names and from the faces followed across frames (a
    lecture's segment: every person named once, for the merge to vote on); the carry (the tracks
    stored beside the frames: they hold encodings) when the answer is not settled."""
    result = followed.answer(tally, seen, known, THRESHOLD, annotated_key, 1 if segment else None)
    if segment is not None or tally.stable or not frames.remaining:
        return Recognized(recognition=result)
    key = keys.run_prefix(video.key, video.etag) + f"tracks/{tally.frames:03d}.json"
    storage.s3().put_object(Bucket=frames.bucket, Key=key, Body=followed.model_dump_json().encode())
    return Recognized(recognition=result, carry=Carry(tally=tally, sightings=seen, tracks_key=key))


@idempotency.once_per("batch", Recognized)
@tracer.capture_method
def recognize_faces(*, batch: Batch, known: KnownFaces) -> Recognized:
    """RecognizeFaces: a batch of a clip's frames, carrying on from the batch before it, if any."""
    carry = batch.carry or Carry(tally=Tally(), sightings=Attendance())
    return look(batch.video, batch.frames, known, carry)


@idempotency.once_per_segment(SegmentResult)
@tracer.capture_method
def recognize_segment(*, part: Part, frames: Frames, known: KnownFaces) -> SegmentResult:
    """RecognizeSegment: one segment of a lecture (a Map iteration), every frame of it; the result,
    with every sighting, goes to S3 and its key comes back (the Map's results stay small)."""
    fresh = Carry(tally=Tally(), sightings=Attendance())
    result = look(part.video, frames, known, fresh, segment=part.segment).recognition
    key = keys.run_prefix(part.video.key, part.video.etag) + f"segments/{part.segment.index:04d}.json"
    storage.put_json(frames.bucket, key, result.model_dump())
    return SegmentResult(
        segment=part.segment.index,
        bucket=frames.bucket,
        key=key,
        frames_used=result.frames_used,
        people=len(result.students),
    )


@step_handler
@event_parser(model=RecognizeFacesEvent)
def lambda_handler(event: RecognizeFacesEvent, context: LambdaContext) -> dict:
    """RecognizeFaces or RecognizeSegment, as ``event.state`` names it."""
    known = known_faces(env("KNOWN_FACES_BUCKET"), env("KNOWN_FACES_KEY"))
    match event:
        case RecognizeSegmentInput():
            logger.append_keys(video=event.video.key)
            part = Part(video=event.video, segment=event.segment)
            done = recognize_segment(part=part, frames=event.frames, known=known)
            logger.info("segment recognized", extra=done.model_dump())
            return done.model_dump()
        case RecognizeFacesInput():
            batch = event.batch
            logger.append_keys(video=batch.video.key)
            result = recognize_faces(batch=batch, known=known)
            answer = result.recognition
            logger.info(
                "faces recognized",
                extra={**answer.model_dump(exclude={"attendance"}), "settled": result.carry is None},
            )
            encoded = answer.faces - (batch.carry.tally.faces if batch.carry else 0)
            metrics.add_metric(name="FacesEncoded", unit=MetricUnit.Count, value=encoded)
            metrics.add_metric(name="UnknownFaces", unit=MetricUnit.Count, value=answer.unknown_faces)
            return result.model_dump()
