"""Whether an MP4 (an ISO base media file: .mp4, .mov, .m4v) is whole, from its top-level boxes alone.

A file cut short (an upload stopped part way) still opens, and its first frames still decode: only
the frames past the cut are missing, and a sample of the clip may not reach them. The boxes at the top
level of the file declare their sizes, so a file shorter than their sum was cut, whatever is sampled.
"""

import struct
from typing import BinaryIO

SIGNATURE = b"ftyp"  # the first box of an ISO base media file


def declared_size(stream: BinaryIO, size: int) -> int | None:
    """The bytes the top-level boxes of the file (``size`` bytes) add up to, or None if it is not an ISO
    base media file (its decoder judges it then). Reads each box's header only: a few bytes a box."""
    offset = 0
    while offset < size:
        stream.seek(offset)
        header = stream.read(16)
        if len(header) < 8:
            return offset + 8  # a box header cut in two
        length, kind = struct.unpack(">I4s", header[:8])
        if offset == 0 and kind != SIGNATURE:
            return None
        if length == 1 and len(header) == 16:  # a 64-bit size follows the type
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:  # the last box runs to the end of the file
            return size
        if length < 8:
            return None  # not a box: leave it to the decoder
        offset += length
    return offset
