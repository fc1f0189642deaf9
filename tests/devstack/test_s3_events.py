"""The event the local stack's S3 sends is S3's: the steps read the upload from it as they do on AWS."""

from classroom_common.models import Video
from devstack.s3_events import s3_event


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
