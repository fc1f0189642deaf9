"""EnrollStudents: a photo created or deleted under ``enrollment/<name>/`` in the known-faces bucket
makes ``<name>``'s encodings those of the photos there now (contract: ``classroom_common.states``).

Each run re-reads the whole folder, so it does not matter which photo's event it was, in what order
events arrive, or whether one is delivered twice: adding photos enrols, deleting them all erases the
student from ``known_faces.npz``. The file is updated with S3 conditional writes (``known.py``), and the
folder listed again after the write: if a photo came or went meanwhile, the run goes again.
Its report is ``enrollment-reports/<name>.json`` in the output bucket (deleted with the last photo).
"""

import os
from functools import partial
from urllib.parse import unquote_plus

import numpy as np
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

import known as known_file
from classroom_common import storage
from classroom_common.handler import env, logger, metrics, step_handler
from classroom_common.states import EnrollmentReport, EnrollStudentInput, PhotoOutcome
from classroom_vision.faces import load_models
from classroom_vision.known_faces import KnownFaces
from photos import judge

PREFIX = "enrollment/"
REPORTS = "enrollment-reports/"
THRESHOLD = float(os.environ.get("MATCH_THRESHOLD", "0.6"))
ROUNDS = 5  # listings compared after a write before giving up on a folder that keeps changing
load_models()


def student_of(key: str) -> str | None:
    """``alice`` for ``enrollment/alice/1.jpg``; None for a key not in a student's folder."""
    parts = key.removeprefix(PREFIX).split("/")
    return parts[0] if key.startswith(PREFIX) and len(parts) == 2 and parts[0] and parts[1] else None


def listing(bucket: str, name: str) -> dict[str, str]:
    """The student's photos now: key -> ETag."""
    found: dict[str, str] = {}
    pages = storage.s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{PREFIX}{name}/")
    for page in pages:
        for item in page.get("Contents", []):
            if student_of(item["Key"]) == name:
                found[item["Key"]] = item["ETag"]
    return found


def judge_all(
    bucket: str, photos: list[str], name: str, known: KnownFaces
) -> tuple[list[PhotoOutcome], list[np.ndarray]]:
    """Each photo's outcome, and the encodings of those used."""
    outcomes, encodings = [], []
    for photo in photos:
        verdict = judge(storage.get_bytes(bucket, photo), name, known, THRESHOLD)
        used = verdict.encoding is not None
        outcomes.append(
            PhotoOutcome(
                key=photo,
                used=used,
                reason=verdict.reason or None,
                looks_like=verdict.looks_like,
                distance=verdict.distance,
            )
        )
        if verdict.encoding is not None:
            encodings.append(verdict.encoding)
    return outcomes, encodings


def enrol(bucket: str, key: str, name: str, output_bucket: str) -> EnrollmentReport | None:
    """Make ``name``'s encodings those of their photos now; the report (None: no photos, erased)."""
    photos = listing(bucket, name)
    for _ in range(ROUNDS):
        current, _etag = known_file.read(bucket, key)
        outcomes, encodings = judge_all(bucket, sorted(photos), name, current)
        _written, etag = known_file.update(
            bucket, key, partial(known_file.replace, name=name, encodings=encodings)
        )
        now = listing(bucket, name)
        if now == photos:
            break
        photos = now
    report_key = f"{REPORTS}{name}.json"
    if not photos:
        storage.s3().delete_object(Bucket=output_bucket, Key=report_key)
        logger.info("student erased", extra={"student": name})
        metrics.add_metric(name="StudentsErased", unit=MetricUnit.Count, value=1)
        return None
    report = EnrollmentReport(
        student=name,
        enrolled=bool(encodings),
        encodings=len(encodings),
        photos=outcomes,
        known_faces_etag=etag,
        report_key=report_key,
    )
    storage.put_json(output_bucket, report_key, report.model_dump(mode="json"))
    rejected = sum(not o.used for o in outcomes)
    logger.info(
        "student enrolled", extra={"student": name, "encodings": report.encodings, "rejected": rejected}
    )
    metrics.add_metric(name="PhotosRejected", unit=MetricUnit.Count, value=rejected)
    if not encodings:
        metrics.add_metric(name="StudentsNotEnrolled", unit=MetricUnit.Count, value=1)
    return report


@step_handler
@event_parser(model=EnrollStudentInput)
def lambda_handler(event: EnrollStudentInput, context: LambdaContext) -> dict | None:
    name = student_of(unquote_plus(event.detail.object.key))
    if name is None:
        logger.warning("not in a student's folder: ignored", extra={"key": event.detail.object.key})
        return None
    report = enrol(event.detail.bucket.name, env("KNOWN_FACES_KEY"), name, env("OUTPUT_BUCKET"))
    return report.model_dump(mode="json") if report else None
