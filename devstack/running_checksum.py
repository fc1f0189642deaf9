"""The checksums moto's ``compute_checksum`` gives an S3 object, computed a piece at a time, so that a
completed multipart upload's checksum needs no copy of the whole upload in memory (``object_files``)."""

import binascii
import hashlib
from collections.abc import Callable

from moto.core.compat import HAS_CRT


def _crc(algorithm: str) -> tuple[Callable[[bytes, int], int], int] | None:
    """The CRC ``compute_checksum`` computes for ``algorithm``, with its fall-backs when an optional
    library is missing (CRC32C without ``crc32c``, CRC64NVME without ``awscrt``: CRC32), as (function of
    a piece and the CRC so far, its bytes); None for a hash (SHA1, and SHA256 for any other name)."""
    if algorithm == "CRC32":
        return binascii.crc32, 4
    if algorithm == "CRC32C":
        try:
            import crc32c

            return crc32c.crc32c, 4
        except ImportError:
            return binascii.crc32, 4
    if algorithm == "CRC64NVME":
        if HAS_CRT:
            from awscrt import checksums

            return checksums.crc64nvme, 8
        return binascii.crc32, 4
    return None


class RunningChecksum:
    """``compute_checksum(whole, algorithm, encode_base64=False)`` of pieces fed in order."""

    def __init__(self, algorithm: str) -> None:
        self._crc = _crc(algorithm)
        self._value = 0
        self._hash = None if self._crc else hashlib.new("sha1" if algorithm == "SHA1" else "sha256")

    def update(self, piece: bytes) -> None:
        if self._crc:
            self._value = self._crc[0](piece, self._value)
        else:
            self._hash.update(piece)  # type: ignore[union-attr]

    def digest(self) -> bytes:
        if self._crc:
            return self._value.to_bytes(self._crc[1], "big")
        return self._hash.digest()  # type: ignore[union-attr]
