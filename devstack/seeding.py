"""Load the student table and the known-faces file into a deployment: each only when it is given, so
seeding one never undoes the other."""

import json
import pickle
from pathlib import Path

from classroom_vision.known_faces import KnownFaces, from_course_pickle
from devstack.deployment import Deployment
from devstack.mistakes import Mistake, existing_file, read_json

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "sample-classroom"
SAMPLE_STUDENTS = SAMPLES / "student_data.json"
SAMPLE_ENCODINGS = SAMPLES / "encoding"
SAMPLE_VIDEOS = SAMPLES / "videos"

RECORD = '[{"name": "alex_lacamoire", "major": "data_science", "year": "junior"}, …]'
FIELDS = ("name", "major", "year")


def read_known_faces(path: Path) -> KnownFaces:
    """Our ``.npz`` file, or the course's pickle (through the NumPy-only unpickler)."""
    data = existing_file(path, "a known-faces file").read_bytes()
    try:
        return from_course_pickle(data) if data[:1] == b"\x80" else KnownFaces.from_bytes(data)
    except (ValueError, pickle.UnpicklingError, EOFError) as error:
        raise Mistake(
            f"{path} is not a known-faces file (an .npz from `classroom enroll`, or the course's pickle): "
            "make one with `classroom enroll PHOTOS_DIR --out FILE`"
        ) from error


def read_students(path: Path) -> list[dict]:
    """The student records in ``path``: a JSON list of objects with a string name, major and year (the
    name as the known faces name the person); other fields are kept. A Mistake, naming the record, if not."""
    records = read_json(path, "student records")
    if not isinstance(records, list):
        raise Mistake(f"{path}: student records are a JSON list, like {RECORD}")
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not all(isinstance(record.get(f), str) for f in FIELDS):
            raise Mistake(
                f"{path}: record {i + 1} ({json.dumps(record)[:80]}) needs a string name, major and year, "
                f"like {RECORD}"
            )
    return records


def seed_students(deployment: Deployment, path: Path = SAMPLE_STUDENTS) -> int:
    """Write ``[{name, major, year, ...}]`` records to the student table: each is added, or replaces the
    record of the same name; the others stay."""
    records = read_students(path)
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
    """Make ``path`` the known faces (it replaces the file there: `classroom enroll --merge` keeps the
    faces of an existing one)."""
    known = read_known_faces(path)
    deployment.client("s3").put_object(
        Bucket=deployment["KnownFacesBucketName"], Key=deployment["KnownFacesKey"], Body=known.to_bytes()
    )
    return known


def seed(
    deployment: Deployment, students: Path | None = SAMPLE_STUDENTS, encodings: Path | None = SAMPLE_ENCODINGS
) -> str:
    """Seed what is given (None: leave that part as it is); one line saying what changed."""
    done = []
    if students is not None:
        count = seed_students(deployment, students)
        done.append(f"{count} student{'s' * (count != 1)}")
    if encodings is not None:
        known = seed_known_faces(deployment, encodings)
        done.append(f"{len(known.names)} encodings of {len(known.people)} people")
    kept = [] if students is not None else ["student records"]
    kept += [] if encodings is not None else ["known faces"]
    unchanged = f" ({' and '.join(kept)} unchanged)" if kept else ""
    return f"seeded {' and '.join(done) or 'nothing'}{unchanged}"
