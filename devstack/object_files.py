"""The local stack's S3 objects kept on disk and moved in pieces, so that its memory does not grow with an
upload's size (seam 5 of ``seams``; moto 5.2.5, pinned).

moto holds each object in a ``SpooledTemporaryFile``: in memory up to ``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE``
(5 MiB less 1 KiB by default), a temporary file above. But

- it reads every request's body into memory (an 8 MiB part, a whole single PUT) and writes it into
  the spool through memory again (its ``BytesIO``, then the file), then reads it back for the ETag;
- it completes a multipart upload by joining every part into one ``bytes`` (``FakeMultipart.complete``)
  with another whole copy for the object's CRC, and writes that as above: 2.5x the upload;
- it answers every GetObject, a ranged one too, by reading the whole object and slicing it;
- its Flask apps run in debug mode, where Flask gives each request a class of its own closing over the
  request: a reference cycle that kept every request and its body until Python's cyclic GC ran.

Here (``install``), every large piece of data moves in pieces of ``CHUNK`` (256 KiB: what one request
thread holds at a time):

- a large PUT's body (an object's, a part's) is read into a file, its MD5 (the ETag) computed on the
  way, and the object adopts that file (``_spooled_body``, ``_set_value``); any other value above the
  spool's limit is written straight to a file;
- ``complete`` copies the parts into the object's file, computing moto's ETag and checksum as it reads
  (``RunningChecksum``), and the object adopts that file;
- while a GetObject is answered over HTTP, a large object's value is a ``FileView``, which reads only
  the bytes sent, as they are sent;
- Flask's debug helper does nothing.

The files are unnamed (``O_TMPFILE``) in the stack's own folder: they vanish when closed, or with the
process; ``release`` closes them when the stack stops.
"""

import base64
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from flask import debughelpers
from moto.s3 import models as s3_models
from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
from moto.s3.models import FakeKey, FakeMultipart, MultipartChecksumBuilder
from moto.s3.responses import S3Response
from moto.utilities.utils import md5_hash

from devstack.running_checksum import RunningChecksum

CHUNK = 256 * 1024  # what one request thread holds at a time
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")
OBJECT_PUT_QUERY = {"uploadId", "partNumber", "x-id"}  # PutObject's and UploadPart's (boto3 adds x-id)
_folder: Path | None = None
_answering = threading.local()  # set while this request thread answers a GetObject over HTTP


def spool(max_size: int) -> tempfile.SpooledTemporaryFile:
    """A spool as moto makes one, rolling over into the stack's folder (the system's while none is set,
    or once it is gone)."""
    folder = _folder if _folder is not None and _folder.is_dir() else None
    return tempfile.SpooledTemporaryFile(max_size, dir=folder)


class Spooled:
    """Bytes already in a spool (a request's body, a completed upload's parts), which the object they
    become adopts as its buffer; with their MD5 when it was computed on the way."""

    def __init__(self, buffer: tempfile.SpooledTemporaryFile, size: int, md5: str | None = None) -> None:
        self.buffer: tempfile.SpooledTemporaryFile | None = buffer
        self.size, self.md5 = size, md5

    def __len__(self) -> int:
        return self.size

    def adopt(self) -> tempfile.SpooledTemporaryFile:
        buffer, self.buffer = self.buffer, None
        assert buffer is not None, "a spooled value becomes one object"
        return buffer


class FileView:
    """A large object's bytes as a GetObject answer: its length, a slice of it (another view) and, when
    iterated (werkzeug sends an iterable body as it comes), its bytes a ``CHUNK`` at a time. It reads
    through a descriptor of its own, so an object replaced or deleted meanwhile is still read whole."""

    def __init__(self, fd: int, start: int, stop: int) -> None:
        self._fd, self._start, self._stop = fd, start, stop

    @classmethod
    def of(cls, key: FakeKey) -> "FileView":
        with key.lock:
            key._value_buffer.flush()  # what is still in its Python buffer, to the file read below
            return cls(os.dup(key._value_buffer.fileno()), 0, key.contentsize)

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, item: slice) -> "FileView":
        if not isinstance(item, slice):
            raise TypeError("a FileView is read by slices")
        start, stop, step = item.indices(len(self))
        if step != 1:
            raise ValueError("a FileView is read in order")
        return FileView(os.dup(self._fd), self._start + start, self._start + max(start, stop))

    def __iter__(self) -> Iterator[bytes]:
        try:
            offset = self._start
            while offset < self._stop:
                block = os.pread(self._fd, min(CHUNK, self._stop - offset), offset)
                if not block:
                    raise OSError(f"object file ended at {offset} of {self._stop}")
                offset += len(block)
                yield block
        finally:
            self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()


def _pieces(part: FakeKey) -> Iterator[bytes]:
    """A part's bytes a ``CHUNK`` at a time."""
    offset = 0
    while True:
        with part.lock:
            part._value_buffer.seek(offset)
            block = part._value_buffer.read(CHUNK)
        if not block:
            return
        offset += len(block)
        yield block


def complete(self: FakeMultipart, body: Iterable[tuple[int, str]]) -> tuple[Spooled, str, tuple]:
    """``FakeMultipart.complete`` as moto's (the same checks, ETag and checksum), the parts copied into the
    object's spool as they are read instead of joined in memory."""
    builder = MultipartChecksumBuilder(
        self.metadata.get("x-amz-checksum-algorithm"), self.metadata.get("x-amz-checksum-type")
    )
    composite = builder.checksum_type == "COMPOSITE"
    whole = RunningChecksum(builder.checksum_algorithm)
    buffer = spool(s3_models.get_s3_default_key_buffer_size())
    md5s, last, count, size = bytearray(), None, 0, 0
    try:
        for number, etag in body:
            part = self.parts.get(number)
            if part is None or part.etag.replace('"', "") != etag.replace('"', ""):
                raise InvalidPart()
            if last is not None and last.contentsize < s3_models.S3_UPLOAD_PART_MIN_SIZE:
                raise EntityTooSmall()
            md5s.extend(bytes.fromhex(part.etag.replace('"', "")))
            own = RunningChecksum(builder.checksum_algorithm)
            for piece in _pieces(part):
                buffer.write(piece)
                (own if composite else whole).update(piece)
            if composite:
                builder.checksum.extend(own.digest())
            builder.part_count += 1
            last, count, size = part, count + 1, size + part.contentsize
        if count == 0:
            raise MalformedXML
    except BaseException:
        buffer.close()
        raise
    checksum = (
        builder.build()
        if composite
        else (builder.checksum_type, base64.b64encode(whole.digest()).decode(), 1)
    )
    return Spooled(buffer, size), f"{md5_hash(bytes(md5s)).hexdigest()}-{count}", checksum


def _set_value(self: FakeKey, new_value: Any) -> None:
    """moto's setter, but a ``Spooled`` value's spool is adopted as it is (with its MD5 as the ETag when
    none was given), and another value above the spool's limit is written straight to its file."""
    if isinstance(new_value, Spooled):
        buffer, size = new_value.adopt(), new_value.size
        if self._etag is None:
            self._etag = new_value.md5
    else:
        if isinstance(new_value, str):
            new_value = new_value.encode("utf-8")  # moto's DEFAULT_TEXT_ENCODING
        buffer, size = spool(self._max_buffer_size), len(new_value)
        if size > self._max_buffer_size:
            buffer.rollover()
        buffer.write(new_value)
    buffer.flush()
    old, self._value_buffer = self._value_buffer, buffer
    old.close()
    self.contentsize = size


def _spooled_body(request: Any) -> Spooled | None:
    """A large PUT's body (an object's, a part's) read into a spool a ``CHUNK`` at a time, its MD5 on the
    way; None where moto reads the body itself: not an object's or a part's (a bucket's configuration),
    a small one, a form, an ``aws-chunked`` one (moto decodes it), or one whose checksum moto would look
    for in the body."""
    headers, length = request.headers, request.content_length or 0
    algorithm = headers.get("x-amz-sdk-checksum-algorithm", "")
    if (
        request.method != "PUT"
        or not set(request.args) <= OBJECT_PUT_QUERY
        or "/" not in request.path.strip("/")  # /bucket/key (the local stack's URLs are path-style)
        or length <= s3_models.get_s3_default_key_buffer_size()
        or "aws-chunked" in headers.get("Content-Encoding", "")
        or headers.get("x-amz-content-sha256", "").startswith("STREAMING-")
        or request.mimetype in FORMS
        or (algorithm and not headers.get(f"x-amz-checksum-{algorithm.lower()}"))
    ):
        return None
    buffer, md5, size = spool(s3_models.get_s3_default_key_buffer_size()), md5_hash(), 0
    buffer.rollover()
    while size < length:
        block = request.stream.read(min(CHUNK, length - size))
        if not block:
            break
        buffer.write(block)
        md5.update(block)
        size += len(block)
    return Spooled(buffer, size, md5.hexdigest())


def _setup_class(self: S3Response, request: Any, full_url: str | None = None, headers: Any = None) -> None:
    """moto's, but a large PUT's body is a ``Spooled`` value (werkzeug's ``request.data`` is a cached
    property: set, it is what moto reads)."""
    if request.from_wsgi_server and "data" not in request.__dict__:
        body = _spooled_body(request)
        if body is not None:
            request.data = body
    _original_setup_class(self, request, full_url, headers)


def _get_value(self: FakeKey) -> Any:
    """moto's getter; while a GetObject is answered over HTTP, a ``FileView`` of an object on disk."""
    if getattr(_answering, "active", False) and self.contentsize > self._max_buffer_size:
        return FileView.of(self)
    return _original_value.fget(self)  # type: ignore[misc]


def _get_object(self: S3Response) -> Any:
    _answering.active = bool(self.is_werkzeug_request)  # moto's in-process mock wants bytes
    try:
        return _original_get_object(self)
    finally:
        _answering.active = False


def _attach_enctype_error_multidict(request: Any) -> None:
    """Nothing: moto runs its Flask apps in debug mode, where Flask gives each request a class of its own
    whose method closes over the request (only to reword a ``KeyError`` on ``request.files``). That cycle
    kept every request, and its body (an 8 MiB part), until Python's cyclic GC ran: hundreds of MiB
    during a large upload."""


moto_complete = FakeMultipart.complete  # moto's own, which the tests compare ``complete`` with
_original_value: property = FakeKey.value  # type: ignore[assignment]
_original_get_object = S3Response.get_object
_original_setup_class = S3Response.setup_class

PATCHED: dict[Callable, list[str]] = {
    moto_complete: ["self", "body"],
    _original_value.fget: ["self"],  # type: ignore[dict-item]
    _original_value.fset: ["self", "new_value"],  # type: ignore[dict-item]
    _original_get_object: ["self"],
    _original_setup_class: ["self", "request", "full_url", "headers"],
    MultipartChecksumBuilder.__init__: ["self", "checksum_algorithm", "checksum_type"],
    s3_models.compute_checksum: ["body", "algorithm", "encode_base64"],
    debughelpers.attach_enctype_error_multidict: ["request"],
}


def use_folder(folder: Path | None) -> None:
    """Spool objects that outgrow memory into ``folder`` (None: the system's temporary folder)."""
    global _folder
    _folder = folder


def install(folder: Path | None) -> None:
    """Put the patches in place (idempotent), spooling into ``folder``."""
    use_folder(folder)
    FakeMultipart.complete = complete  # type: ignore[method-assign,assignment]
    FakeKey.value = property(_get_value, _set_value)  # type: ignore[method-assign,assignment]
    S3Response.get_object = _get_object  # type: ignore[method-assign]
    S3Response.setup_class = _setup_class  # type: ignore[method-assign]
    debughelpers.attach_enctype_error_multidict = _attach_enctype_error_multidict


def release(folder: Path) -> None:
    """A stopped stack's objects: every object's file closed (moto's S3 emptied), ``folder`` removed."""
    from moto.s3.models import s3_backends

    if _folder == folder:
        use_folder(None)
    s3_backends.reset()
    shutil.rmtree(folder, ignore_errors=True)
