"""Replace one student's rows of ``known_faces.npz`` without losing another writer's update.

S3 conditional writes: read the file and its ETag, write the new file with ``IfMatch`` on that ETag
(``IfNoneMatch: *`` when there was none); S3 refuses the write (412 PreconditionFailed, or 409
ConditionalRequestConflict while another conditional write is in flight) if anyone wrote in between,
and the update is made again on what they wrote. Two students enrolled at once both end up in the
file, with no lock and no single writer.
"""

import random
import time
from collections.abc import Callable

import numpy as np
from botocore.exceptions import ClientError

from classroom_common import storage
from classroom_vision.known_faces import KnownFaces

CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict"}
ATTEMPTS = 20


class Contended(RuntimeError):
    """Every attempt met another writer's update (raised: the invocation is retried)."""


def read(bucket: str, key: str) -> tuple[KnownFaces, str | None]:
    """The known faces and their ETag; none and None when there is no file yet."""
    try:
        got = storage.s3().get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return KnownFaces.from_pairs([]), None
        raise
    return KnownFaces.from_bytes(got["Body"].read()), got["ETag"]


def replace(known: KnownFaces, name: str, encodings: list[np.ndarray]) -> KnownFaces:
    """``known`` with ``name``'s rows replaced by ``encodings`` (none: the name is gone)."""
    kept = [(n, e) for n, e in zip(known.names.tolist(), known.encodings, strict=True) if n != name]
    return KnownFaces.from_pairs(kept + [(name, e) for e in encodings])


def same(a: KnownFaces, b: KnownFaces) -> bool:
    return np.array_equal(a.names, b.names) and np.array_equal(a.encodings, b.encodings)


def update(
    bucket: str,
    key: str,
    change: Callable[[KnownFaces], KnownFaces],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[KnownFaces, str]:
    """Apply ``change`` to the current file and write it conditionally, again on a conflict; the
    file written and its ETag."""
    for attempt in range(ATTEMPTS):
        current, etag = read(bucket, key)
        updated = change(current)
        if same(current, updated):  # nothing to change (a repeated event): no new version, no empty file
            return current, etag or ""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            written = storage.s3().put_object(Bucket=bucket, Key=key, Body=updated.to_bytes(), **condition)
            return updated, written["ETag"]
        except ClientError as error:
            if error.response["Error"]["Code"] not in CONFLICTS:
                raise
        sleep(random.uniform(0, 0.05 * 2 ** min(attempt, 5)))  # jitter, so retries spread out
    raise Contended(f"s3://{bucket}/{key}: {ATTEMPTS} conditional writes met another writer")
