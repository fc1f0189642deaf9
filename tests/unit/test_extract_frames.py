"""Step 1: the uploaded video's frames, sampled across the clip into the artifacts bucket."""

from functools import cache

import cv2
import numpy as np
import pytest

from classroom_common.errors import InvalidVideo, VideoTooLarge
from tests.unit.conftest import (
    import_function_module,
    object_created_event,
    path_of,
    record_calls,
    video_bytes,
)

VIDEO = "test_0.mp4"
FIRST_BATCH = import_function_module("extract_frames", "frames").FIRST_BATCH  # before any asking for more


def every_frame(path) -> list[np.ndarray]:
    """Every frame of the video at ``path``, decoded in full by OpenCV, independently of the step."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    capture.release()
    return frames


@cache
def probe(name: str) -> dict:
    """The clip's metadata and every decoded frame, read independently of the step."""
    capture = cv2.VideoCapture(str(path_of(name)))
    info = {
        "fps": capture.get(cv2.CAP_PROP_FPS),
        "width": int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
        "height": int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
    }
    capture.release()
    return {**info, "frames": every_frame(path_of(name))}


def first_batch(upload: dict) -> dict:
    """ExtractFrames' input: the upload's S3 event, as the state machine passes it."""
    return {"state": "ExtractFrames", "upload": upload}


def more_frames(first: dict) -> dict:
    """ExtractMoreFrames' input: the clip and the frames its first batch left."""
    return {"state": "ExtractMoreFrames", "video": first["video"], "frames": first["frames"]}


@pytest.fixture
def extract(load):
    return load("extract_frames")


def objects(s3, bucket: str, prefix: str = "") -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read() for o in listing}


def assert_upload_untouched(cloud, key: str, body: bytes) -> None:
    s3, bucket = cloud.s3, cloud["InputBucketName"]
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    assert [v["Key"] for v in versions] == [key]  # nothing written over it, nothing beside it
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == [key]


@pytest.mark.parametrize("key", ["test_0.mp4", "a b/ç/test_0.mp4", "x+y/100%/lecture #1.mp4"])
def test_frames_are_sampled_across_the_clip_into_the_artifacts_bucket(cloud, extract, key):
    frames_module = import_function_module("extract_frames", "frames")
    body = video_bytes(VIDEO)
    event = cloud.upload(key, body)
    etag = event["detail"]["object"]["etag"]

    result = extract(first_batch(event))

    video, frames = result["video"], result["frames"]
    assert video["key"] == key
    assert video["etag"] == etag
    assert video["bucket"] == cloud["InputBucketName"]
    assert video["size"] == len(body)
    assert video["version_id"] == event["detail"]["object"]["version-id"]

    truth = probe(VIDEO)
    count = len(truth["frames"])
    samples = int(extract.spec.environment["FRAME_SAMPLES"])
    assert frames["frame_count"] == count
    assert frames["fps"] == pytest.approx(truth["fps"])
    assert (frames["width"], frames["height"]) == (truth["width"], truth["height"])
    assert frames["duration"] == pytest.approx(count / truth["fps"], abs=1e-3)

    # one frame from the middle of each of ``samples`` equal slices of the clip; the two earliest are
    # extracted now (the cheapest to decode), the rest only if recognition asks for them
    # (a sample on a non-reference frame, skipped while decoding, is the first frame decoded after it)
    indices = frames["indices"]
    order = frames_module.sample_indices(count, samples)
    assert FIRST_BATCH == 2 and frames["remaining"] == order[FIRST_BATCH:]
    assert all(s <= i <= s + 3 for s, i in zip(order, indices, strict=False)) and len(indices) == 2
    for slice_number, index in enumerate(order):
        assert slice_number * count / samples <= index < (slice_number + 1) * count / samples

    stem = key.rsplit(".", 1)[0]
    assert frames["bucket"] == cloud["ArtifactsBucketName"]
    assert frames["keys"] == [f"runs/{stem}/{etag}/frames/{i:06d}.jpg" for i in indices]
    stored = objects(cloud.s3, cloud["ArtifactsBucketName"])
    assert sorted(stored) == sorted(frames["keys"])
    for index, frame_key in zip(indices, frames["keys"], strict=True):
        image = cv2.imdecode(np.frombuffer(stored[frame_key], np.uint8), cv2.IMREAD_COLOR)
        assert image.shape == (truth["height"], truth["width"], 3)
        # it is that frame of the clip (JPEG at quality 90 is close to it)
        difference = cv2.absdiff(image, truth["frames"][index]).mean()
        assert difference < 4, (index, difference)
        head = cloud.s3.head_object(Bucket=cloud["ArtifactsBucketName"], Key=frame_key)
        assert head["ContentType"] == "image/jpeg"

    assert_upload_untouched(cloud, key, body)


def test_the_uploaded_version_is_read_even_after_the_key_is_overwritten(cloud, extract):
    """The event names a version; a later upload to the same key must not change this run."""
    event = cloud.upload("class/test_0.mp4", video_bytes(VIDEO))
    cloud.s3.put_object(Bucket=cloud["InputBucketName"], Key="class/test_0.mp4", Body=b"not a video")
    result = extract(first_batch(event))
    assert len(result["frames"]["keys"]) == FIRST_BATCH
    assert result["video"]["etag"] == event["detail"]["object"]["etag"]


def test_the_remaining_frames_are_extracted_when_asked_for(cloud, extract):
    """The second batch: the frames the first left, from the same upload, earliest first."""
    event = cloud.upload("more/test_0.mp4", video_bytes(VIDEO))
    first = extract(first_batch(event))
    more = extract(more_frames(first))

    frames = more["frames"]
    wanted = first["frames"]["remaining"]
    assert len(frames["indices"]) == len(wanted)
    assert all(s <= i <= s + 3 for s, i in zip(wanted, frames["indices"], strict=True))
    assert frames["remaining"] == []
    assert {k: v for k, v in frames.items() if k not in ("keys", "indices", "remaining")} == {
        k: v for k, v in first["frames"].items() if k not in ("keys", "indices", "remaining")
    }
    etag = first["video"]["etag"]
    assert frames["keys"] == [f"runs/more/test_0/{etag}/frames/{i:06d}.jpg" for i in frames["indices"]]
    stored = objects(cloud.s3, cloud["ArtifactsBucketName"])
    assert sorted(stored) == sorted(first["frames"]["keys"] + frames["keys"])
    truth = probe(VIDEO)
    for index, key in zip(frames["indices"], frames["keys"], strict=True):
        image = cv2.imdecode(np.frombuffer(stored[key], np.uint8), cv2.IMREAD_COLOR)
        assert cv2.absdiff(image, truth["frames"][index]).mean() < 4, index
    assert extract(more_frames(first)) == more  # idempotent too


def test_the_same_event_twice_gives_the_same_frames(cloud, extract):
    event = cloud.upload("twice/test_0.mp4", video_bytes(VIDEO))
    first = extract(first_batch(event))
    second = extract(first_batch(event))
    assert second == first
    assert sorted(objects(cloud.s3, cloud["ArtifactsBucketName"])) == sorted(first["frames"]["keys"])


def _truncated() -> bytes:
    data = video_bytes(VIDEO)
    return data[: int(len(data) * 0.3)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", r"cannot open|no decodable"),
        (b"this is a lecture transcript, not a video\n" * 50, r"cannot open|no decodable"),
        (_truncated(), r"truncated"),
    ],
    ids=["empty-file", "text-renamed-mp4", "first-30-percent-of-an-mp4"],
)
def test_what_is_not_a_whole_video_is_invalid(cloud, extract, body, message):
    event = cloud.upload("bad/clip.mp4", body)
    with pytest.raises(InvalidVideo, match=message) as raised:
        extract(first_batch(event))
    assert len(str(raised.value)) > 20  # a sentence a person can act on
    assert objects(cloud.s3, cloud["ArtifactsBucketName"]) == {}  # no frames of a broken video
    assert_upload_untouched(cloud, "bad/clip.mp4", body)


def test_a_video_over_the_size_limit_fails_before_any_download(cloud, load):
    body = video_bytes(VIDEO)
    extract = load("extract_frames", MAX_VIDEO_BYTES=str(len(body) - 1))
    event = cloud.upload("big/test_0.mp4", body)
    calls = record_calls(cloud.s3)
    with pytest.raises(VideoTooLarge, match=rf"{len(body)} bytes .* {len(body) - 1} bytes"):
        extract(first_batch(event))
    assert [c for c in calls if c[1].get("Bucket") == cloud["InputBucketName"]] == []
    assert objects(cloud.s3, cloud["ArtifactsBucketName"]) == {}
    assert_upload_untouched(cloud, "big/test_0.mp4", body)


def test_a_video_exactly_at_the_size_limit_is_processed(cloud, load):
    body = video_bytes(VIDEO)
    extract = load("extract_frames", MAX_VIDEO_BYTES=str(len(body)))
    result = extract(first_batch(cloud.upload("edge/test_0.mp4", body)))
    assert len(result["frames"]["keys"]) == FIRST_BATCH


def test_the_template_limit_applies_to_the_size_the_event_reports(cloud, extract):
    """A 300 MB upload is refused from the event alone: the object is never even looked at."""
    event = cloud.upload("huge.mp4", b"small stand-in")
    limit = int(extract.spec.environment["MAX_VIDEO_BYTES"])
    event["detail"]["object"]["size"] = limit + 1
    calls = record_calls(cloud.s3)
    with pytest.raises(VideoTooLarge):
        extract(first_batch(event))
    assert calls == []


def test_an_upload_to_an_unversioned_bucket_is_read_by_etag(cloud, extract):
    bucket = cloud["ArtifactsBucketName"]  # versioning off: S3 sends no version-id
    cloud.s3.put_object(Bucket=bucket, Key="test_0.mp4", Body=video_bytes(VIDEO))
    event = object_created_event(cloud.s3, bucket, "test_0.mp4")
    assert "version-id" not in event["detail"]["object"]
    result = extract(first_batch(event))
    assert len(result["frames"]["keys"]) == FIRST_BATCH


def test_long_gaps_are_seeked_and_still_give_the_right_frames(tmp_path):
    """A long clip is sampled by seeking, not by decoding every frame; the frames are the ones asked for."""
    from synthetic.clips import write_clip

    frames = [np.full((64, 64, 3), (i * 7) % 250, np.uint8) for i in range(900)]
    path = write_clip(tmp_path / "long.mp4", frames, fps=30)
    wanted = [75, 225, 375, 525, 675, 825]
    module = import_function_module("extract_frames", "frames")
    for gap in (10**6, 100):  # grab through everything, then seek across every gap
        with module.opened(path, module.Limits(), seek_gap=gap) as decoder:
            got = list(decoder.frames(wanted))
        assert [i for i, _ in got] == wanted  # mp4v as OpenCV writes it: every frame a reference one
        for index, frame in got:
            assert abs(int(frame.mean()) - (index * 7) % 250) <= 3, (gap, index)


def moving(count: int, size: tuple[int, int] = (320, 240)) -> list[np.ndarray]:
    """A textured scene panning, with a square crossing it: frames an encoder predicts from each other."""
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8), (9, 9), 0)
    frames = []
    for i in range(count):
        frame = np.roll(base, 2 * i, axis=1)
        cv2.rectangle(frame, (10 + 3 * i, 40), (60 + 3 * i, 90), (255, 255, 255), -1)
        frames.append(frame)
    return frames


@pytest.mark.parametrize("made", ["course's H.264", "libx264", "libx265"])
def test_non_reference_frames_are_skipped_and_a_sample_is_the_exact_frame_after_it(tmp_path, made):
    """A phone's H.264 or HEVC has B-frames: those nothing is predicted from are not decoded, and a sample
    that is one gets the next frame decoded, with the very pixels a full decode gives it."""
    from synthetic.clips import write_encoded

    module = import_function_module("extract_frames", "frames")
    path = path_of(VIDEO)
    if made != "course's H.264":
        path = write_encoded(tmp_path / "b.mp4", moving(90), codec=made)
    every = every_frame(path)
    wanted = module.sample_indices(len(every), 7)
    with module.opened(path, module.Limits()) as decoder:
        got = list(decoder.frames(wanted))
    indices = [index for index, _ in got]
    assert indices != wanted  # some samples fell on skipped frames
    assert len(got) == len(wanted)
    for sample, (index, frame) in zip(wanted, got, strict=True):
        assert sample <= index <= sample + 3
        assert np.array_equal(frame, every[index]), index


def test_a_seek_opens_the_video_again_without_skipping():
    """OpenCV's seek counts the frames decoded, so it is never asked while frames are skipped: a gap too
    long to decode through reopens the video, and from then on every sample is exactly its frame."""
    module = import_function_module("extract_frames", "frames")
    every = probe("test_5.mp4")["frames"]
    with module.opened(path_of("test_5.mp4"), module.Limits(), seek_gap=20) as decoder:
        got = list(decoder.frames([9, 60, 120]))
    indices = [index for index, _ in got]
    assert 9 <= indices[0] <= 12 and indices[1:] == [60, 120]
    for index, frame in got:
        assert np.array_equal(frame, every[index]), index


def test_the_last_frame_and_every_frame_of_a_short_clip():
    """The clip's last frame is found; asking for every frame gives each frame decoded once, in order."""
    module = import_function_module("extract_frames", "frames")
    every = probe("test_7.mp4")["frames"]
    with module.opened(path_of("test_7.mp4"), module.Limits()) as decoder:
        (last,) = decoder.frames([len(every) - 1])
    assert last[0] == len(every) - 1 and np.array_equal(last[1], every[-1])
    with module.opened(path_of("test_7.mp4"), module.Limits()) as decoder:
        got = list(decoder.frames(list(range(len(every)))))
    indices = [index for index, _ in got]
    assert indices == sorted(set(indices)) and indices[0] == 0 and indices[-1] == len(every) - 1
    for index, frame in got:
        assert np.array_equal(frame, every[index]), index


@pytest.mark.parametrize("container", [".mp4", ".mkv"])
def test_a_video_cut_short_near_its_end_is_truncated_whatever_is_sampled(tmp_path, container):
    """The last tenth of the file is missing. An MP4 is refused as it opens, its boxes declaring more bytes
    than it has (ffmpeg writes the index last: a cut there would otherwise go unseen by early samples);
    another container when decoding ends before a sample, the video opened again without skipping (the
    frames left might all have been skipped ones) and failing again."""
    from synthetic.clips import write_encoded

    module = import_function_module("extract_frames", "frames")
    whole = write_encoded(tmp_path / f"whole{container}", moving(90)).read_bytes()
    path = tmp_path / f"cut{container}"
    path.write_bytes(whole[: int(len(whole) * 0.9)])
    with pytest.raises(InvalidVideo, match="truncated"), module.opened(path, module.Limits()) as decoder:
        list(decoder.frames(module.sample_indices(decoder.info.frame_count, 7)))


def test_samples_are_the_slice_centres_earliest_first():
    module = import_function_module("extract_frames", "frames")
    assert module.sample_indices(48, 6) == [4, 12, 20, 28, 36, 44]
    assert module.sample_indices(25, 7) == [1, 5, 8, 12, 16, 19, 23]
    assert module.sample_indices(3, 6) == [0, 1, 2]  # a clip shorter than the samples: every frame


@pytest.mark.parametrize(
    ("size", "stored"),
    [((4096, 2160), (4096, 2160)), ((7680, 4320), (4096, 2304))],  # DCI 4K as it is; 8K UHD halved
)
def test_real_camera_resolutions_are_accepted_and_stored_bounded(cloud, extract, tmp_path, size, stored):
    from synthetic.clips import write_clip

    width, height = size
    frame = np.zeros((height, width, 3), np.uint8)
    cv2.circle(frame, (width // 2, height // 2), height // 4, (200, 180, 160), -1)  # something to keep
    body = write_clip(tmp_path / "camera.mp4", [frame] * 3, fps=3).read_bytes()
    result = extract(first_batch(cloud.upload("camera.mp4", body)))
    assert (result["frames"]["width"], result["frames"]["height"]) == size  # the video's own size
    for key in result["frames"]["keys"]:
        jpeg = cloud.s3.get_object(Bucket=cloud["ArtifactsBucketName"], Key=key)["Body"].read()
        image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1::-1] == stored
        assert image[stored[1] // 2, stored[0] // 2].mean() > 150  # the frame, scaled, not cropped


def test_a_network_failure_under_the_reads_is_transient_not_a_crash(cloud, extract, monkeypatch):
    """OpenCV reads the upload through our file object: an error there must come back as a typed,
    retried error (raised inside OpenCV's read callback, it would crash the process)."""
    from botocore.exceptions import ReadTimeoutError

    from classroom_common import storage
    from classroom_common.errors import TransientAwsError

    event = cloud.upload("net/test_0.mp4", video_bytes(VIDEO))
    s3 = storage.s3()
    real = s3.get_object

    def timing_out(**kwargs):
        if "Range" in kwargs:
            raise ReadTimeoutError(endpoint_url="https://s3.amazonaws.com")
        return real(**kwargs)

    monkeypatch.setattr(s3, "get_object", timing_out)
    with pytest.raises(TransientAwsError, match="ReadTimeoutError"):
        extract(first_batch(event))
