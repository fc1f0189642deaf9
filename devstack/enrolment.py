"""Enrol by upload: put ``PHOTOS_DIR/<name>/*`` under ``enrollment/<name>/`` in a stack's known-faces
bucket, where EnrollStudents encodes them (``functions/enroll_students``), and wait for each student's
report, ``enrollment-reports/<name>.json`` in the output bucket (``classroom enroll --endpoint/--stack``).
"""

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from botocore.exceptions import ClientError

from devstack.deployment import Deployment

PREFIX, REPORTS = "enrollment/", "enrollment-reports/"
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@dataclass(frozen=True)
class Uploaded:
    """One student's photos, as uploaded: their keys and when the last one landed (S3's clock)."""

    name: str
    keys: tuple[str, ...]
    landed: datetime


def upload(deployment: Deployment, photos_dir: Path) -> list[Uploaded]:
    """Upload every photo of every ``<name>/`` folder; a folder with no photo is left out."""
    s3, bucket = deployment.client("s3"), deployment["KnownFacesBucketName"]
    done = []
    for folder in sorted(p for p in photos_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        photos = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PHOTO_TYPES)
        keys = []
        for photo in photos:
            key = f"{PREFIX}{folder.name}/{photo.name}"
            s3.put_object(
                Bucket=bucket, Key=key, Body=photo.read_bytes(), ContentType=PHOTO_TYPES[photo.suffix.lower()]
            )
            keys.append(key)
        if keys:
            landed = s3.head_object(Bucket=bucket, Key=keys[-1])["LastModified"]
            done.append(Uploaded(folder.name, tuple(keys), landed))
    return done


def report(deployment: Deployment, name: str) -> tuple[dict, datetime] | None:
    """The student's report and when it was written; None when there is none."""
    try:
        got = deployment.client("s3").get_object(
            Bucket=deployment["OutputBucketName"], Key=f"{REPORTS}{name}.json"
        )
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(got["Body"].read()), got["LastModified"]


def wait(deployment: Deployment, uploads: list[Uploaded], timeout: float = 300) -> dict[str, dict]:
    """Each student's report once it covers every photo uploaded (written after the last landed)."""
    reports: dict[str, dict] = {}
    deadline = time.monotonic() + timeout
    while len(reports) < len(uploads):
        for up in uploads:
            if up.name in reports:
                continue
            found = report(deployment, up.name)
            if found and found[1] >= up.landed and set(up.keys) <= {p["key"] for p in found[0]["photos"]}:
                reports[up.name] = found[0]
        if len(reports) < len(uploads):
            if time.monotonic() > deadline:
                missing = sorted({u.name for u in uploads} - set(reports))
                raise TimeoutError(f"no report after {timeout:.0f} s for {', '.join(missing)}")
            time.sleep(0.5)
    return reports


def summary(reports: dict[str, dict]) -> str:
    """One line per student, one per rejected photo."""
    lines = []
    for name, found in sorted(reports.items()):
        used = sum(p["used"] for p in found["photos"])
        state = f"{found['encodings']} encodings" if found["enrolled"] else "NOT enrolled: no usable photo"
        lines.append(f"{name}: {state} ({used} of {len(found['photos'])} photos used)")
        lines += [
            f"  rejected {p['key'].rsplit('/', 1)[1]}: {p['reason']}"
            for p in found["photos"]
            if not p["used"]
        ]
    return "\n".join(lines)
