"""The event the local stack's S3 sends is S3's: the steps read the upload from it as they do on AWS."""

from moto.s3 import notifications as s3_notifications
from moto.s3.notifications import S3NotificationEvent

from classroom_common.models import Video
from devstack.s3_events import detail_type, s3_event


def test_the_steps_read_the_upload_back_from_the_event():
    event = s3_event("in", "a b/ç+1.mp4", 10, '"abc"', "v1")
    assert event["detail"]["object"]["key"] == "a+b/%C3%A7%2B1.mp4"  # URL-encoded, slashes kept
    assert event["detail-type"] == "Object Created" and event["detail"]["reason"] == "PutObject"
    video = Video.from_event(event)
    assert (video.bucket, video.key, video.etag, video.size, video.version_id) == (
        "in",
        "a b/ç+1.mp4",
        "abc",
        10,
        "v1",
    )


def test_an_unversioned_upload_has_no_version_id():
    assert "version-id" not in s3_event("in", "k.mp4", 1, "e", "null")["detail"]["object"]
    assert Video.from_event(s3_event("in", "k.mp4", 1, "e")).version_id is None


def test_the_detail_types_are_the_ones_moto_gives():
    """The table stands in for moto's private ``_detail_type``: they agree on every event S3 sends."""
    for name in S3NotificationEvent.events():
        if "*" not in name and not name.startswith(("s3:Replication", "s3:ReducedRedundancy")):
            assert detail_type(name) == s3_notifications._detail_type(name), name
