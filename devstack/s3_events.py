"""The event S3 sends to EventBridge when an object is created, shaped as S3 shapes it (moto's own differs:
unix time, ``eTag``, the raw key). The local stack's S3 sends it; tests build the same event for an upload.
No moto here: the unit tests build their events with it."""

import datetime
import uuid
from urllib.parse import quote_plus

from devstack.template import ACCOUNT, REGION

# S3 names the API call that created the object (s3:ObjectCreated:Put -> PutObject).
_REASONS = {"Put": "PutObject", "Post": "PostObject", "Copy": "CopyObject"}

# The detail-type S3 gives each kind of event on EventBridge (S3 user guide, "EventBridge"), by the
# event name's prefix.
_DETAIL_TYPES = {
    "s3:ObjectCreated:": "Object Created",
    "s3:ObjectRemoved:": "Object Deleted",
    "s3:LifecycleExpiration:": "Object Deleted",
    "s3:ObjectRestore:Post": "Object Restore Initiated",
    "s3:ObjectRestore:Completed": "Object Restore Completed",
    "s3:ObjectRestore:Delete": "Object Restore Expired",
    "s3:LifecycleTransition": "Object Storage Class Changed",
    "s3:IntelligentTiering": "Object Access Tier Changed",
    "s3:ObjectAcl:Put": "Object ACL Updated",
    "s3:ObjectTagging:Put": "Object Tags Added",
    "s3:ObjectTagging:Delete": "Object Tags Deleted",
}


def detail_type(event_name: str) -> str:
    """``Object Created`` for ``s3:ObjectCreated:Put``: the event's detail-type on EventBridge."""
    for prefix, kind in _DETAIL_TYPES.items():
        if event_name.startswith(prefix):
            return kind
    raise ValueError(f"S3 sends no EventBridge event for {event_name}")


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
        "detail-type": detail_type(event_name),
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
