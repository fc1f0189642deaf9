"""Class photos: a JPEG, PNG or WebP upload, told from a video by its first bytes, is one frame.

A photo is small, so it is read whole; but a small file can declare a huge image, so its size is read
from its header and checked before any pixel is decoded. It must be whole: a file cut short is refused
(some decoders would grey out the part missing, and a face there would go unseen), as ``container.py``
refuses a cut MP4. OpenCV decodes it to 8-bit BGR, applying a JPEG's EXIF orientation (``IMREAD_COLOR``
does unless told ``IMREAD_IGNORE_ORIENTATION``), so a phone held upright gives an upright class.
"""

import struct

import cv2
import numpy as np

from classroom_common.errors import InvalidImage

JPEG, PNG, WEBP = "JPEG", "PNG", "WebP"
HEAD = 12  # the bytes that tell the three apart
# A photo is read whole, into memory: at most this many bytes a pixel of the pixel limit (an 8-bit RGBA
# pixel uncompressed; any photo within the limit is smaller): 133 MB at 8K UHD.
BYTES_PER_PIXEL = 4
NAMES = (".jpg", ".jpeg", ".png", ".webp")  # a key named as one of them must hold one
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG's start-of-frame markers (baseline, progressive, lossless…), which hold the image's size; C4, C8
# and CC, in their range, are other markers.
JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def kind(head: bytes) -> str | None:
    """The photo format ``head`` (the file's first ``HEAD`` bytes) starts, or None: not a photo."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(PNG_SIGNATURE[:4]):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def named_as_photo(key: str) -> bool:
    return key.lower().endswith(NAMES)


def not_a_photo(key: str, head: bytes) -> InvalidImage:
    """The error for a key named as a photo whose content is not one (nor is it read as a video)."""
    shown = head[:8].hex(" ") or "none: it is empty"
    return InvalidImage(
        f"{key.rsplit('/', 1)[-1]} is named as a photo, but it is not a JPEG, PNG or WebP image "
        f"(its first bytes: {shown})"
    )


def dimensions(data: bytes, form: str) -> tuple[int, int]:
    """``(width, height)`` from the header of a ``form`` photo, after checking it is whole (no pixel
    decoded); InvalidImage when it is cut short or its header is not one."""
    width, height = {JPEG: jpeg_size, PNG: png_size, WEBP: webp_size}[form](data)
    if width <= 0 or height <= 0:
        raise InvalidImage(f"its {form} header gives no image size ({width}x{height})")
    return width, height


def decode(data: bytes, form: str) -> np.ndarray:
    """The photo as an 8-bit BGR image, EXIF orientation applied."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InvalidImage(f"OpenCV cannot decode it as a {form} image: it is corrupt")
    return image


def cut(form: str) -> InvalidImage:
    return InvalidImage(f"it is cut short: its {form} data ends before the end of the image")


def jpeg_size(data: bytes) -> tuple[int, int]:
    """A JPEG's size, from its start-of-frame segment; its segments (and the compressed data after each
    start of scan) followed to the end-of-image marker, so a file cut anywhere is refused."""
    found, position = None, 2
    while True:
        if position + 2 > len(data):
            raise cut(JPEG)
        if data[position] != 0xFF:
            raise InvalidImage(f"it is a corrupt JPEG: no segment marker at byte {position}")
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:  # end of image
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a segment
            position += 2
            continue
        if position + 4 > len(data):
            raise cut(JPEG)
        end = position + 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
        if end > len(data):
            raise cut(JPEG)
        if marker in JPEG_FRAMES and end - position >= 9:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            found = found or (width, height)
        position = after_scan(data, end) if marker == 0xDA else end
    if found is None:
        raise InvalidImage("it is a corrupt JPEG: it has no start-of-frame segment (no image size)")
    return found


def after_scan(data: bytes, start: int) -> int:
    """Where the marker after a scan's compressed data is: there, a 0xFF byte is followed by 0x00
    (stuffing) or a restart marker; any other pair is the next marker."""
    position = start
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            raise cut(JPEG)
        following = data[position + 1]
        if following == 0xFF:  # fill bytes before the marker
            position += 1
        elif following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        else:
            return position


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's size, from its IHDR chunk; its chunks followed to IEND, so a file cut anywhere is refused."""
    if not data.startswith(PNG_SIGNATURE):
        raise InvalidImage("it is a corrupt PNG: its signature is not a PNG's")
    found, position = None, len(PNG_SIGNATURE)
    while True:
        if position + 8 > len(data):
            raise cut(PNG)
        length, chunk = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length  # length, type, data, CRC
        if end > len(data):
            raise cut(PNG)
        if found is None:
            if chunk != b"IHDR" or length < 8:
                raise InvalidImage("it is a corrupt PNG: its first chunk is not its header (IHDR)")
            found = struct.unpack(">II", data[position + 8 : position + 16])
        if chunk == b"IEND":
            return found
        position = end


def webp_size(data: bytes) -> tuple[int, int]:
    """A WebP's size, from its first chunk (lossy VP8, lossless VP8L, or extended VP8X's canvas); the
    RIFF container's declared length must all be there."""
    if len(data) < 30:
        raise cut(WEBP)
    if 8 + struct.unpack("<I", data[4:8])[0] > len(data):
        raise cut(WEBP)
    chunk, body = data[12:16], data[20:30]
    if chunk == b"VP8 " and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and body[0] == 0x2F:
        bits = struct.unpack("<I", body[1:5])[0]
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        return int.from_bytes(body[4:7], "little") + 1, int.from_bytes(body[7:10], "little") + 1
    raise InvalidImage(f"it is a corrupt WebP: its first chunk ({chunk!r}) gives no image size")
