"""Step 1 for a class photo: a JPEG, PNG or WebP upload is one frame, stored as a clip's frames are."""

import struct
import zlib

import cv2
import numpy as np
import pytest

from classroom_common.errors import InvalidImage, VideoTooLarge
from synthetic import photos
from tests.conftest import SAMPLES
from tests.unit.conftest import clip_jpegs, import_function_module, record_calls
from tests.unit.test_extract_frames import assert_upload_untouched, first_batch, objects

FORMATS = {
    "jpeg": (".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95]),
    "png": (".png", []),
    "webp": (".webp", [cv2.IMWRITE_WEBP_QUALITY, 95]),
}


@pytest.fixture
def extract(load):
    return load("extract_frames")


def photo_module():
    return import_function_module("extract_frames", "photo")


def class_frame() -> np.ndarray:
    """A frame of a bundled clip, as the video path stores it: a class photo's stand-in."""
    _index, jpeg = clip_jpegs("test_0.mp4")[2]
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)


def encoded(image: np.ndarray, form: str, params: list[int] | None = None) -> bytes:
    extension, default = FORMATS[form]
    return photos.encoded(image, extension, default if params is None else params)


def decoded(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("form", "key"),
    [
        ("jpeg", "class/monday.jpg"),
        ("jpeg", "class/monday.JPEG"),
        ("png", "2024/fall/cs546/monday.png"),
        ("webp", "monday.webp"),
        ("png", "named-wrong/monday.jpg"),  # the content decides, not the name
        ("jpeg", "no-extension/monday"),
    ],
)
def test_a_photo_is_one_frame_stored_as_a_clips_frames_are(cloud, extract, form, key):
    image = class_frame()
    body = encoded(image, form)
    event = cloud.upload(key, body)
    etag = event["detail"]["object"]["etag"]

    result = extract(first_batch(event))

    assert result["lecture"] is None
    assert result["video"]["key"] == key and result["video"]["size"] == len(body)
    frames = result["frames"]
    height, width = image.shape[:2]
    stem = key.rsplit(".", 1)[0] if "." in key.rsplit("/", 1)[-1] else key
    assert frames == {
        "bucket": cloud["ArtifactsBucketName"],
        "keys": [f"runs/{stem}/{etag}/frames/000000.jpg"],
        "indices": [0],
        "remaining": [],
        "fps": 1.0,
        "frame_count": 1,
        "duration": 0.0,
        "width": width,
        "height": height,
    }
    stored = objects(cloud.s3, cloud["ArtifactsBucketName"])
    assert list(stored) == frames["keys"]
    frame = decoded(stored[frames["keys"][0]])
    assert frame.shape == image.shape
    assert cv2.absdiff(frame, decoded(body)).mean() < 3  # the photo's pixels, as JPEG at quality 90
    head = cloud.s3.head_object(Bucket=cloud["ArtifactsBucketName"], Key=frames["keys"][0])
    assert head["ContentType"] == "image/jpeg"
    assert extract(first_batch(event)) == result  # the same event twice: the same frame
    assert_upload_untouched(cloud, key, body)


def test_a_jpeg_is_turned_as_its_exif_orientation_says(cloud, extract):
    """A phone held upright writes the sensor's landscape pixels and an orientation (6: turn 90° right):
    the frame stored is upright, its width and height those of the upright class."""
    image = class_frame()
    body = photos.exif_oriented(encoded(image, "jpeg"), 6)
    result = extract(first_batch(cloud.upload("upright.jpg", body)))

    frames = result["frames"]
    upright = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    assert (frames["width"], frames["height"]) == (image.shape[0], image.shape[1])
    stored = decoded(objects(cloud.s3, cloud["ArtifactsBucketName"])[frames["keys"][0]])
    assert stored.shape == upright.shape
    assert cv2.absdiff(stored, upright).mean() < 4


def test_a_photo_over_the_stored_size_is_stored_bounded(cloud, extract):
    """A photo larger than ``MAX_FRAME_SIDE`` is stored scaled down, as a video's frames are; its own
    size is the one reported."""
    side = import_function_module("extract_frames", "frames").MAX_FRAME_SIDE
    image = cv2.resize(class_frame(), (side + 904, (side + 904) * 9 // 16))
    result = extract(first_batch(cloud.upload("big.jpg", encoded(image, "jpeg"))))
    frames = result["frames"]
    assert (frames["width"], frames["height"]) == image.shape[1::-1]
    stored = decoded(objects(cloud.s3, cloud["ArtifactsBucketName"])[frames["keys"][0]])
    assert max(stored.shape[:2]) == side


def test_a_photo_over_a_block_is_read_whole_in_two_requests(cloud, extract):
    """The first block (read to tell what it is) and the rest in one GET, not one a block."""
    noise = np.random.default_rng(0).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
    body = encoded(noise, "png")
    assert len(body) > 2 * 1024 * 1024
    event = cloud.upload("noisy.png", body)
    calls = record_calls(cloud.s3)
    extract(first_batch(event))
    reads = [c for c in calls if c[0] == "GetObject" and c[1]["Bucket"] == cloud["InputBucketName"]]
    assert len(reads) == 2
    assert all(c[1]["VersionId"] == event["detail"]["object"]["version-id"] for c in reads)


def test_the_uploaded_version_of_a_photo_is_read_after_the_key_is_overwritten(cloud, extract):
    event = cloud.upload("class/photo.png", encoded(class_frame(), "png"))
    cloud.s3.put_object(Bucket=cloud["InputBucketName"], Key="class/photo.png", Body=b"not a photo")
    result = extract(first_batch(event))
    assert len(result["frames"]["keys"]) == 1


def _cut(form: str, fraction: float) -> bytes:
    body = encoded(class_frame(), form)
    return body[: int(len(body) * fraction)]


def _png_with_a_bad_idat() -> bytes:
    """Whole, every chunk there, but the compressed pixels damaged (its CRC no longer matches)."""
    body = bytearray(encoded(class_frame(), "png"))
    start = body.index(b"IDAT") + 4
    body[start + 100 : start + 400] = bytes(300)
    return bytes(body)


def _jpeg_with_zeroed_pixels() -> bytes:
    """The JPEG's headers kept, its compressed data and end overwritten with zeros."""
    body = bytearray(encoded(class_frame(), "jpeg"))
    start = body.index(b"\xff\xda") + 20
    body[start:] = bytes(len(body) - start)
    return bytes(body)


@pytest.mark.parametrize(
    ("key", "body", "message"),
    [
        ("notes.jpg", b"these are my lecture notes, not a photo\n" * 20, r"named as a photo.*74 68 65 73"),
        ("empty.png", b"", r"named as a photo.*it is empty"),
        ("mp4-named.webp", (SAMPLES / "videos" / "test_0.mp4").read_bytes(), r"not a JPEG, PNG or WebP"),
        ("cut.jpg", _cut("jpeg", 0.6), r"cut short: its JPEG data"),
        ("cut-near-the-end.jpg", _cut("jpeg", 0.999), r"cut short: its JPEG data"),
        ("cut.png", _cut("png", 0.9), r"cut short: its PNG data"),
        ("cut.webp", _cut("webp", 0.9), r"cut short: its WebP data"),
        ("header-only.jpg", _cut("jpeg", 0.0) + b"\xff\xd8\xff\xe0", r"cut short"),
        ("zeroed.jpg", _jpeg_with_zeroed_pixels(), r"cut short: its JPEG data"),
        ("damaged.png", _png_with_a_bad_idat(), r"OpenCV cannot decode it as a PNG image: it is corrupt"),
    ],
)
def test_what_is_not_a_whole_photo_is_an_invalid_image(cloud, extract, key, body, message):
    event = cloud.upload(key, body)
    with pytest.raises(InvalidImage, match=message) as raised:
        extract(first_batch(event))
    assert len(str(raised.value)) > 30  # a sentence a person can act on
    assert objects(cloud.s3, cloud["ArtifactsBucketName"]) == {}
    assert_upload_untouched(cloud, key, body)


def test_a_photo_over_the_pixel_limit_is_refused_from_its_header(cloud, extract, monkeypatch):
    """A 90 KB PNG declaring 100 000 x 100 000 pixels (30 GB decoded) is refused before any pixel is
    decoded, as a video over ``MaxVideoPixels`` is."""
    monkeypatch.setattr(cv2, "imdecode", lambda *args: pytest.fail("decoded"))
    body = png_declaring(100_000, 100_000)
    event = cloud.upload("bomb.png", body)
    limit = int(extract.spec.environment["MAX_VIDEO_PIXELS"])
    with pytest.raises(VideoTooLarge, match=rf"100000x100000 is above the limit of {limit} pixels"):
        extract(first_batch(event))
    assert objects(cloud.s3, cloud["ArtifactsBucketName"]) == {}
    assert_upload_untouched(cloud, "bomb.png", body)


def test_the_pixel_limit_is_the_video_one(cloud, load):
    image = class_frame()
    height, width = image.shape[:2]
    exactly = load("extract_frames", MAX_VIDEO_PIXELS=str(width * height))
    assert len(exactly(first_batch(cloud.upload("at.jpg", encoded(image, "jpeg"))))["frames"]["keys"]) == 1
    under = load("extract_frames", MAX_VIDEO_PIXELS=str(width * height - 1))
    with pytest.raises(VideoTooLarge, match=rf"{width}x{height} is above"):
        under(first_batch(cloud.upload("over.jpg", encoded(image, "jpeg"))))


def test_a_photo_over_its_byte_limit_is_refused_after_one_read(cloud, load):
    """A photo is read whole, so its bytes are bounded by the pixel limit too (4 bytes a pixel, the
    size of an uncompressed RGBA photo at the limit): only the first block is read to tell what it is."""
    body = encoded(class_frame(), "png")
    pixels = len(body) // 4 - 1
    extract = load("extract_frames", MAX_VIDEO_PIXELS=str(pixels))
    event = cloud.upload("heavy.png", body)
    calls = record_calls(cloud.s3)
    with pytest.raises(VideoTooLarge, match=rf"PNG photo of {len(body)} bytes .* {pixels * 4} bytes"):
        extract(first_batch(event))
    reads = [c for c in calls if c[0] == "GetObject"]
    assert len(reads) == 1 and reads[0][1]["Range"] == f"bytes=0-{min(len(body), 1024 * 1024) - 1}"


# --- the header reader, format by format ------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "params", "channels"),
    [
        ("jpeg", [cv2.IMWRITE_JPEG_QUALITY, 90], 3),
        ("jpeg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1], 3),  # many scans
        ("jpeg", [cv2.IMWRITE_JPEG_RST_INTERVAL, 4], 3),  # restart markers in the scan
        ("jpeg", [], 1),  # greyscale
        ("png", [], 3),
        ("png", [cv2.IMWRITE_PNG_COMPRESSION, 0], 4),  # alpha, uncompressed
        ("webp", [cv2.IMWRITE_WEBP_QUALITY, 80], 3),  # lossy: VP8
        ("webp", [cv2.IMWRITE_WEBP_QUALITY, 101], 3),  # lossless: VP8L
        ("webp", [cv2.IMWRITE_WEBP_QUALITY, 80], 4),  # lossy with alpha: VP8X
    ],
)
def test_the_size_is_read_from_the_header_of_every_kind(form, params, channels):
    photo = photo_module()
    image = cv2.resize(class_frame(), (333, 217))
    if channels == 1:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif channels == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)
    body = encoded(image, form, params)
    assert photo.kind(body[: photo.HEAD]) == {"jpeg": photo.JPEG, "png": photo.PNG, "webp": photo.WEBP}[form]
    assert photo.dimensions(body, photo.kind(body)) == (333, 217)
    assert photo.decode(body, photo.kind(body)).shape == (217, 333, 3)


def test_what_follows_a_whole_jpeg_is_left_alone():
    """A phone's motion photo is a JPEG with a video after its end: the JPEG is whole, and read."""
    photo = photo_module()
    body = encoded(class_frame(), "jpeg") + b"\x00\x00\x00\x18ftypmp42" + bytes(1000)
    assert photo.dimensions(body, photo.JPEG) == class_frame().shape[1::-1]


def test_videos_and_other_files_are_not_photos():
    photo = photo_module()
    for head in (b"", b"\x00\x00\x00\x18ftypmp42", b"RIFF\x00\x00\x00\x00AVI ", b"GIF89a", b"\xff\xd8"):
        assert photo.kind(head) is None, head
