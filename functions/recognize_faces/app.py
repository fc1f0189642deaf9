"""Step 2: detect, encode and match the faces in the sampled frames against the known faces."""

import os

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from annotate import annotate
from classroom_common import idempotency, keys, storage
from classroom_common.errors import KnownFacesUnavailable, is_transient
from classroom_common.handler import env, logger, metrics, step_handler, tracer
from classroom_common.models import Frames, Recognition, Video
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


def look(video: Video, frames: Frames, known: KnownFaces, tally: Tally) -> Recognition:
    """Go on with ``tally`` over this batch of frames; ask for the rest if the answer is not settled."""
    best = recognize_frames(
        len(frames.keys),
        lambda i: storage.get_bytes(frames.bucket, frames.keys[i]),
        known,
        THRESHOLD,
        MAX_FACES,
        tally,
    )
    annotated_key = keys.run_prefix(video.key, video.etag) + "annotated.jpg"
    if best is not None:
        storage.s3().put_object(
            Bucket=frames.bucket, Key=annotated_key, Body=annotate(*best), ContentType="image/jpeg"
        )
    result = tally.result()
    result.annotated_key = annotated_key if tally.best_named >= 0 else None
    result.more_frames = not tally.stable and bool(frames.remaining)
    result.tally = tally.model_dump() if result.more_frames else None
    return result


@idempotency.once_per_upload(Recognition)
@tracer.capture_method
def recognize(*, video: Video, frames: Frames, known: KnownFaces) -> Recognition:
    """The first batch of frames."""
    return look(video, frames, known, Tally())


@idempotency.once_per_upload(Recognition)
@tracer.capture_method
def recognize_more(*, video: Video, frames: Frames, known: KnownFaces, so_far: Recognition) -> Recognition:
    """The next batch, carrying on from the first one's tally."""
    return look(video, frames, known, Tally.model_validate(so_far.tally or {}))


@step_handler
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    video, frames = Video(**event["video"]), Frames(**event["frames"])
    logger.append_keys(video=video.key)
    known = known_faces(env("KNOWN_FACES_BUCKET"), env("KNOWN_FACES_KEY"))
    so_far = Recognition(**event["recognition"]) if "recognition" in event else None
    if so_far is None:
        result = recognize(video=video, frames=frames, known=known)
    else:
        result = recognize_more(video=video, frames=frames, known=known, so_far=so_far)
    logger.info("faces recognized", extra=result.model_dump(exclude={"tally"}))
    encoded = result.faces - (so_far.faces if so_far else 0)
    metrics.add_metric(name="FacesEncoded", unit=MetricUnit.Count, value=encoded)
    metrics.add_metric(name="UnknownFaces", unit=MetricUnit.Count, value=result.unknown_faces)
    return result.model_dump()
