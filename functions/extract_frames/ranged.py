"""The uploaded video as a seekable file that reads S3 with ranged GETs, a block at a time.

OpenCV's FFmpeg backend reads a Python ``io.BufferedIOBase`` as it reads a file: the container's header,
then only the bytes around each frame it is asked to decode. Each block is one ``GetObject`` with a
``Range``, pinned to the upload (its version, or its ETag with ``If-Match``), and at most ``cache_blocks``
blocks are held: memory is bounded by ``block_size * cache_blocks`` however long the video, and nothing
is written to ``/tmp``.
"""

import io
from collections import OrderedDict

BLOCK_SIZE = 1024 * 1024  # one GET per MiB read: a few per sampled frame of a 1080p lecture
CACHE_BLOCKS = 8


class RangedObject(io.BufferedIOBase):
    """A read-only, seekable view of one S3 object version. Errors from S3 are kept in ``error`` (OpenCV
    sees an end of file) for the caller to raise once OpenCV returns."""

    def __init__(
        self,
        s3,
        bucket: str,
        key: str,
        size: int,
        pin: dict[str, str],
        block_size: int = BLOCK_SIZE,
        cache_blocks: int = CACHE_BLOCKS,
    ) -> None:
        super().__init__()
        self._s3, self._bucket, self._key, self._pin = s3, bucket, key, pin
        self.size = size
        self._block_size, self._cache_blocks = block_size, cache_blocks
        self._blocks: OrderedDict[int, bytes] = OrderedDict()
        self._position = 0
        self.requests = 0  # GETs made
        self.bytes_fetched = 0  # bytes those GETs returned
        self.error: Exception | None = None  # what stopped the reads: never raised inside OpenCV

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._position = offset
        elif whence == io.SEEK_CUR:
            self._position += offset
        elif whence == io.SEEK_END:
            self._position = self.size + offset
        else:  # FFmpeg's AVSEEK_SIZE: the size, position unchanged
            return self.size
        self._position = max(0, self._position)
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._position
        parts: list[bytes] = []
        while size > 0 and self._position < self.size and self.error is None:
            number, offset = divmod(self._position, self._block_size)
            block = self._block(number)
            part = block[offset : offset + size]
            if not part:
                break
            parts.append(part)
            self._position += len(part)
            size -= len(part)
        return b"".join(parts)

    def read_all(self) -> bytes:
        """The whole object: the first block if it is held, the rest in one GET rather than one a block (a
        photo is read whole, once it is known to be small enough). Errors go to ``error``, as in ``read``."""
        first = self._blocks.get(0, b"")
        if len(first) >= self.size:
            return first[: self.size]
        try:
            response = self._s3.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={len(first)}-{self.size - 1}", **self._pin
            )
            rest = response["Body"].read()
        except Exception as error:
            self.error = error
            return b""
        self.requests += 1
        self.bytes_fetched += len(rest)
        return first + rest

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _block(self, number: int) -> bytes:
        if number in self._blocks:
            self._blocks.move_to_end(number)
            return self._blocks[number]
        start = number * self._block_size
        end = min(self.size, start + self._block_size) - 1
        try:
            response = self._s3.get_object(
                Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{end}", **self._pin
            )
            data = response["Body"].read()
        except Exception as error:  # OpenCV calls us from C: an exception raised there crashes it
            self.error = error
            return b""
        self.requests += 1
        self.bytes_fetched += len(data)
        self._blocks[number] = data
        while len(self._blocks) > self._cache_blocks:
            self._blocks.popitem(last=False)
        return data
