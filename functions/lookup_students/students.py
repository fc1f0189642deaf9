"""Read student records from DynamoDB in batches."""

import time

from botocore.exceptions import ClientError

from classroom_common import storage
from classroom_common.errors import StudentTableUnavailable
from classroom_common.models import Lookup, Student

BATCH = 100  # BatchGetItem's limit


def _from_item(item: dict) -> Student:
    return Student(name=item["name"]["S"], major=item["major"]["S"], year=item["year"]["S"])


def fetch(table: str, names: list[str], attempts: int = 5) -> dict[str, Student]:
    """Students by name; BatchGetItem's unprocessed keys are retried with backoff."""
    found: dict[str, Student] = {}
    unique = sorted(set(names))
    for start in range(0, len(unique), BATCH):
        request = {table: {"Keys": [{"name": {"S": n}} for n in unique[start : start + BATCH]]}}
        for attempt in range(attempts):
            try:
                response = storage.dynamodb().batch_get_item(RequestItems=request)
            except ClientError as error:
                if error.response["Error"]["Code"] in ("ResourceNotFoundException", "AccessDeniedException"):
                    raise StudentTableUnavailable(f"cannot read table {table}: {error}") from error
                raise
            for item in response["Responses"].get(table, []):
                student = _from_item(item)
                found[student.name] = student
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05 * 2**attempt)
        if request:
            raise StudentTableUnavailable(f"table {table} left keys unprocessed after {attempts} attempts")
    return found


def lookup(table: str, names: list[str]) -> Lookup:
    found = fetch(table, names) if names else {}
    return Lookup(
        students=[found[n] for n in sorted(found)],
        missing=sorted(set(names) - found.keys()),
    )
