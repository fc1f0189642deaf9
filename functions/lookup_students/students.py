"""Read student records from DynamoDB in batches."""

from botocore.exceptions import ClientError

from classroom_common import student_table
from classroom_common.errors import StudentTableUnavailable
from classroom_common.models import Lookup, Student


def _from_item(item: dict) -> Student:
    return Student(name=item["name"]["S"], major=item["major"]["S"], year=item["year"]["S"])


def fetch(table: str, names: list[str], attempts: int = 5) -> dict[str, Student]:
    """Students by name; BatchGetItem's unprocessed keys are retried with backoff."""
    try:
        items = student_table.read(table, names, attempts=attempts)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ResourceNotFoundException", "AccessDeniedException"):
            raise StudentTableUnavailable(f"cannot read table {table}: {error}") from error
        raise
    return {name: _from_item(item) for name, item in items.items()}


def lookup(table: str, names: list[str]) -> Lookup:
    found = fetch(table, names) if names else {}
    return Lookup(
        students=[found[n] for n in sorted(found)],
        missing=sorted(set(names) - found.keys()),
    )
