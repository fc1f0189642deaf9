"""Load the student table and the known-faces file into a deployment."""

import json
from pathlib import Path

from classroom_vision.known_faces import KnownFaces, from_course_pickle
from devstack.deployment import Deployment

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "sample-classroom"
SAMPLE_STUDENTS = SAMPLES / "student_data.json"
SAMPLE_ENCODINGS = SAMPLES / "encoding"
SAMPLE_VIDEOS = SAMPLES / "videos"


def read_known_faces(path: Path) -> KnownFaces:
    """Our ``.npz`` file, or the course's pickle (through the NumPy-only unpickler)."""
    data = path.read_bytes()
    return from_course_pickle(data) if data[:1] == b"\x80" else KnownFaces.from_bytes(data)


def seed_students(deployment: Deployment, path: Path = SAMPLE_STUDENTS) -> int:
    """Write ``[{name, major, year, ...}]`` records to the student table."""
    records = json.loads(path.read_text())
    table = deployment["StudentsTableName"]
    dynamodb = deployment.client("dynamodb")
    for start in range(0, len(records), 25):
        items = [
            {
                "PutRequest": {
                    "Item": {
                        k: ({"N": str(v)} if isinstance(v, int) else {"S": str(v)}) for k, v in r.items()
                    }
                }
            }
            for r in records[start : start + 25]
        ]
        request = {table: items}
        while request:
            request = dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
    return len(records)


def seed_known_faces(deployment: Deployment, path: Path = SAMPLE_ENCODINGS) -> KnownFaces:
    known = read_known_faces(path)
    deployment.client("s3").put_object(
        Bucket=deployment["KnownFacesBucketName"], Key=deployment["KnownFacesKey"], Body=known.to_bytes()
    )
    return known


def seed(deployment: Deployment, students: Path = SAMPLE_STUDENTS, encodings: Path = SAMPLE_ENCODINGS) -> str:
    count = seed_students(deployment, students)
    known = seed_known_faces(deployment, encodings)
    return f"seeded {count} students and {len(known.names)} encodings of {len(known.people)} people"
