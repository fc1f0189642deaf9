"""``classroom forget NAME``: erase a student from a stack: their enrolment photos (every version), their
encodings in the known-faces file (and the file's old versions that hold them), their enrolment report,
their student record, and their rows in the courses table (roster, status per session) and their
sightings in each upload's attendance there.

Deleting the photos is what erases the encodings on the stack (EnrollStudents runs on the deletions);
a student whose encodings came from a seeded file, with no photos, is taken out of the file here, with
the same conditional write (``If-Match`` on the ETag, again on a conflict).
"""

import argparse
import json
import time
from collections.abc import Callable
from contextlib import ExitStack

from botocore.exceptions import ClientError

from classroom_common.courses import PART, ROSTER, STATUS
from classroom_vision.known_faces import KnownFaces
from devstack.deployment import Deployment
from devstack.enrolment import PREFIX, REPORTS
from devstack.mistakes import Mistake

CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict"}


def _versions(s3, bucket: str, prefix: str) -> list[dict]:
    """Every version and delete marker under ``prefix``."""
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        found += page.get("Versions", []) + page.get("DeleteMarkers", [])
    return found


def _known(s3, bucket: str, key: str, version: str | None = None) -> tuple[KnownFaces, str | None]:
    try:
        got = s3.get_object(Bucket=bucket, Key=key, **({"VersionId": version} if version else {}))
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return KnownFaces.from_pairs([]), None
        raise
    return KnownFaces.from_bytes(got["Body"].read()), got["ETag"]


def remove_encodings(s3, bucket: str, key: str, name: str) -> int:
    """Take ``name``'s rows out of the current file (a conditional write, again on a conflict)."""
    for _attempt in range(20):
        known, etag = _known(s3, bucket, key)
        mine = known.names == name
        if etag is None or not mine.any():
            return 0
        kept = KnownFaces(known.names[~mine], known.encodings[~mine])
        try:
            s3.put_object(Bucket=bucket, Key=key, Body=kept.to_bytes(), IfMatch=etag)
            return int(mine.sum())
        except ClientError as error:
            if error.response["Error"]["Code"] not in CONFLICTS:
                raise
        time.sleep(0.1)
    raise RuntimeError(f"s3://{bucket}/{key}: another writer kept changing it; run forget again")


def wait_until_gone(s3, bucket: str, key: str, name: str, timeout: float) -> None:
    """Until the current file has none of ``name``'s rows (the stack erases them on the deletions)."""
    deadline = time.monotonic() + timeout
    while name in _known(s3, bucket, key)[0].people:
        if time.monotonic() > deadline:
            raise Mistake(
                f"{name} is still in s3://{bucket}/{key} after {timeout:.0f} s: is EnrollStudents failing? "
                "(its logs, EnrollmentFailedAlarm); run forget again"
            )
        time.sleep(0.5)


def wait_for_no_report(s3, bucket: str, key: str, timeout: float) -> None:
    """Until the enrolment report is gone (the stack's erasure run deletes it last); on a timeout, go on:
    the encodings are removed here and checked next."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s3.head_object(Bucket=bucket, Key=key)
        except ClientError:
            return
        time.sleep(0.5)


def old_versions_holding(s3, bucket: str, key: str, name: str) -> list[str]:
    """The known-faces file's noncurrent versions that still hold ``name``."""
    return [
        v["VersionId"]
        for v in _versions(s3, bucket, key)
        if v["Key"] == key
        and not v.get("IsLatest")
        and "ETag" in v
        and name in _known(s3, bucket, key, v["VersionId"])[0].names
    ]


def attendance_rows(client, table: str, name: str) -> list[dict]:
    """The courses table's ``ROSTER#<name>`` and ``STATUS#<session>#<name>`` items (every course)."""
    rows = []
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="#i = :roster OR (begins_with(#i, :status) AND contains(#i, :tail))",
        ExpressionAttributeNames={"#i": "item"},
        ExpressionAttributeValues={
            ":roster": {"S": f"{ROSTER}{name}"},
            ":status": {"S": STATUS},
            ":tail": {"S": f"#{name}"},
        },
        ProjectionExpression="course, #i",
        ConsistentRead=True,
    )
    for page in pages:
        rows += [
            i
            for i in page["Items"]
            if i["item"]["S"] == f"{ROSTER}{name}" or i["item"]["S"].endswith(f"#{name}")
        ]
    return rows


def strip_sightings(client, table: str, name: str) -> list[str]:
    """Take ``name`` out of each upload's sightings (``PART#`` items), so no later recompute of a
    session brings them back as a visitor; the courses whose parts named them."""
    touched = []
    pages = client.get_paginator("scan").paginate(
        TableName=table,
        FilterExpression="begins_with(#i, :part)",
        ExpressionAttributeNames={"#i": "item"},
        ExpressionAttributeValues={":part": {"S": PART}},
        ConsistentRead=True,
    )
    for item in (i for page in pages for i in page["Items"]):
        students = json.loads(item["students"]["S"])
        kept = [s for s in students if s.get("name") != name]
        if len(kept) != len(students):
            client.update_item(
                TableName=table,
                Key={"course": item["course"], "item": item["item"]},
                UpdateExpression="SET students = :s",
                ExpressionAttributeValues={":s": {"S": json.dumps(kept)}},
            )
            touched.append(item["course"]["S"])
    return touched


def forget(deployment: Deployment, name: str, timeout: float = 120) -> list[str]:
    """Erase ``name``; one line per kind of thing deleted."""
    s3, dynamodb = deployment.client("s3"), deployment.client("dynamodb")
    bucket, key = deployment["KnownFacesBucketName"], deployment["KnownFacesKey"]
    lines = []

    photos = _versions(s3, bucket, f"{PREFIX}{name}/")
    for version in photos:
        s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    shown = sorted({v["Key"] for v in photos})
    lines.append(f"photos: {len(shown)} ({len(photos)} versions) under s3://{bucket}/{PREFIX}{name}/")
    before = int((_known(s3, bucket, key)[0].names == name).sum())
    output, report = deployment["OutputBucketName"], f"{REPORTS}{name}.json"
    if photos:  # the stack's run on the deletions ends by deleting the report
        wait_for_no_report(s3, output, report, timeout)
    remove_encodings(s3, bucket, key, name)  # seeded encodings, or a run that failed
    wait_until_gone(s3, bucket, key, name, timeout)
    lines.append(f"encodings: {before} from s3://{bucket}/{key}")
    old = old_versions_holding(s3, bucket, key, name)
    for version_id in old:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
    lines.append(f"old versions of {key} holding them: {len(old)}")

    s3.delete_object(Bucket=output, Key=report)
    lines.append(f"enrolment report: s3://{output}/{report} (if there was one)")

    students = deployment["StudentsTableName"]
    record = dynamodb.delete_item(TableName=students, Key={"name": {"S": name}}, ReturnValues="ALL_OLD")
    lines.append(f"student record: {1 if record.get('Attributes') else 0} from {students}")

    courses = deployment["CoursesTableName"]
    rows = attendance_rows(dynamodb, courses, name)
    for row in rows:
        dynamodb.delete_item(TableName=courses, Key=row)
    in_courses = sorted({r["course"]["S"] for r in rows})
    lines.append(
        f"attendance rows: {len(rows)} from {courses}" + (f" ({', '.join(in_courses)})" if rows else "")
    )
    parts = strip_sightings(dynamodb, courses, name)
    lines.append(
        f"sightings: from {len(parts)} uploads in {courses}"
        + (f" ({', '.join(sorted(set(parts)))})" if parts else "")
    )
    return lines


def register(subparsers, add_target: Callable, deployment: Callable) -> None:
    parser = subparsers.add_parser(
        "forget",
        help="erase a student: photos, encodings, report, student record, attendance rows",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("name", metavar="NAME", help="the student, as the known faces name them")
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds to wait for the stack to erase them"
    )
    add_target(parser)

    def handler(args: argparse.Namespace) -> int:
        if not (args.endpoint or args.stack):
            parser.error("forget needs --endpoint URL or --stack NAME")
        if not args.name or "/" in args.name:
            parser.error("NAME is a student's name, as their enrollment/<name>/ folder has it")
        with ExitStack() as resources:
            target = deployment(args, resources)
            for line in forget(target, args.name, args.timeout):
                print(f"deleted {line}")
        return 0

    parser.set_defaults(handler=handler)
