"""The student table's items for a list of names, read with BatchGetItem: the LookupStudents step and
`classroom roster`/`register` read them through this one loop."""

import time

from classroom_common import storage
from classroom_common.errors import StudentTableUnavailable

BATCH = 100  # BatchGetItem's limit


def read(table: str, names: list[str], client=None, attempts: int = 5) -> dict[str, dict]:
    """The items of ``names`` the table has, by name, as DynamoDB returns them. Unprocessed keys are
    asked for again with backoff, up to ``attempts`` times a batch (then StudentTableUnavailable).
    ``client``: a DynamoDB client (default: the step's)."""
    client = client or storage.dynamodb()
    found: dict[str, dict] = {}
    unique = sorted(set(names))
    for start in range(0, len(unique), BATCH):
        request = {table: {"Keys": [{"name": {"S": n}} for n in unique[start : start + BATCH]]}}
        for attempt in range(attempts):
            response = client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table, []):
                found[item["name"]["S"]] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(0.05 * 2**attempt)
        if request:
            raise StudentTableUnavailable(f"table {table} left keys unprocessed after {attempts} attempts")
    return found
