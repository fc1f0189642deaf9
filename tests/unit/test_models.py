"""The upload as the steps see it, from S3's ``Object Created`` event (whose key is URL-encoded)."""

import copy
from urllib.parse import quote_plus

import pytest
from pydantic import ValidationError

from classroom_common.models import Video

EVENT = {
    "version": "0",
    "id": "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "account": "123456789012",
    "time": "2021-11-12T00:00:00Z",
    "region": "us-east-1",
    "resources": ["arn:aws:s3:::example-bucket"],
    "detail": {
        "version": "0",
        "bucket": {"name": "example-bucket"},
        "object": {
            "key": "test_0.mp4",
            "size": 322588,
            "etag": "b1946ac92492d2347c6235b4d2611184",
            "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
            "sequencer": "00617F08299329D189",
        },
        "request-id": "N4N7GDK58NMKJ12R",
        "requester": "123456789012",
        "source-ip-address": "1.2.3.4",
        "reason": "PutObject",
    },
}


def event_with(**object_fields) -> dict:
    event = copy.deepcopy(EVENT)
    event["detail"]["object"].update(object_fields)
    return event


def test_fields_from_the_event():
    video = Video.from_event(EVENT)
    assert video == Video(
        bucket="example-bucket",
        key="test_0.mp4",
        etag="b1946ac92492d2347c6235b4d2611184",
        size=322588,
        version_id="IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
    )


def test_unversioned_upload_has_no_version():
    event = copy.deepcopy(EVENT)
    del event["detail"]["object"]["version-id"]
    assert Video.from_event(event).version_id is None


@pytest.mark.parametrize(
    ("encoded", "key"),
    [
        ("class+2024/test+0.mp4", "class 2024/test 0.mp4"),  # '+' is a space
        ("%C3%A7a+va/%E6%97%A5%E6%9C%AC.mp4", "ça va/日本.mp4"),  # %XX is UTF-8
        ("a%2Bb.mp4", "a+b.mp4"),  # a literal '+' arrives as %2B
        ("100%25/x.mp4", "100%/x.mp4"),  # a literal '%' arrives as %25
        ("literally%252B.mp4", "literally%2B.mp4"),  # a key containing '%2B' is decoded once only
        ("a%2520b.mp4", "a%20b.mp4"),
        ("2024/fall/cs546/test_7.mp4", "2024/fall/cs546/test_7.mp4"),
    ],
)
def test_key_is_url_decoded_exactly_once(encoded, key):
    assert Video.from_event(event_with(key=encoded)).key == key


@pytest.mark.parametrize(
    "key",
    ["a b/ç/test_0.mp4", "x+y%z.mp4", "%2B/%252B/+.mp4", "naïve café/lecture #1 (v2).mp4", "日本語.mp4"],
)
def test_any_key_survives_s3s_encoding(key):
    """S3 encodes keys as ``quote_plus`` does (slashes kept); decoding gives the key back."""
    assert Video.from_event(event_with(key=quote_plus(key, safe="/"))).key == key


def test_size_is_an_integer():
    assert Video.from_event(event_with(size=1048576)).size == 1048576
    assert isinstance(Video.from_event(event_with(size=1048576)).size, int)


def test_not_an_s3_event_is_rejected():
    with pytest.raises(ValidationError):
        Video.from_event({"detail": {"bucket": {"name": "b"}}})
    with pytest.raises(ValidationError):
        Video.from_event({"video": {"bucket": "b", "key": "k"}})


def test_video_round_trips_through_the_state_machine_payload():
    video = Video.from_event(event_with(key="a+b/%C3%A7.mp4"))
    assert Video(**video.model_dump()) == video
    assert video.model_dump()["key"] == "a b/ç.mp4"
