"""The event S3 sends to EventBridge when an object is created, shaped as S3 shapes it (moto's own differs:
unix time, ``eTag``, the raw key). The local stack's S3 sends it; tests build the same event for an upload."""

import datetime
import uuid
from urllib.parse import quote_plus

from moto.s3 import notifications as s3_notifications

from devstack.template import ACCOUNT, REGION

# S3 names the API call that created the object (s3:ObjectCreated:Put -> PutObject).
_REASONS = {"Put": "PutObject", "Post": "PostObject", "Copy": "CopyObject"}


def s3_event(
    bucket: str,
    key: str,
    size: int,
    etag: str,
    version_id: str | None = None,
    event_name: str = "s3:ObjectCreated:Put",
    account_id: str = ACCOUNT,
    region: str = REGION,
) -> dict:
    """An S3 event shaped as S3 sends it to EventBridge: URL-encoded key, unquoted ETag, ISO time."""
    action = event_name.rsplit(":", 1)[-1]
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": s3_notifications._detail_type(event_name),
        "source": "aws.s3",
        "account": account_id,
        "time": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": quote_plus(key, safe="/"),
                "size": size,
                "etag": etag.strip('"'),
                **({"version-id": version_id} if version_id and version_id != "null" else {}),
                "sequencer": f"{uuid.uuid4().int % 16**16:016X}",
            },
            "request-id": uuid.uuid4().hex[:16].upper(),
            "requester": account_id,
            "source-ip-address": "127.0.0.1",
            "reason": _REASONS.get(action, action),
        },
    }
