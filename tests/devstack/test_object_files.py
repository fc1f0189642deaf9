"""The local stack's objects on disk (``devstack.object_files``) read back as moto would give them.

A completed multipart upload streamed into its file has moto's ETag, checksum and bytes, and moto's
errors; the checksums computed piece by piece are ``compute_checksum``'s. Through the stack: a large
single PUT and a multipart upload read back whole and by ranges, with S3's ETags, from files in the
stack's own folder.
"""

import hashlib
import os
import random

import pytest
from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
from moto.s3.models import FakeMultipart
from moto.s3.utils import compute_checksum

from bench.stack_process import open_file_bytes
from devstack import object_files
from devstack.running_checksum import RunningChecksum
from devstack.template import ACCOUNT, REGION

MIB = 1024 * 1024
PART = 5 * MIB + 1024  # just above S3's smallest part (and moto's in-memory limit)


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"])
def test_a_checksum_fed_in_pieces_is_computed_as_moto_computes_it_whole(algorithm):
    whole = noise(3 * MIB + 7, 1)
    running = RunningChecksum(algorithm)
    for start in range(0, len(whole), 1_000_003):
        running.update(whole[start : start + 1_000_003])
    assert running.digest() == compute_checksum(whole, algorithm, encode_base64=False)


def multipart(algorithm: str | None, kind: str | None, sizes: list[int]) -> tuple[FakeMultipart, list]:
    metadata = {"x-amz-checksum-algorithm": algorithm, "x-amz-checksum-type": kind}
    upload = FakeMultipart("lecture.mp4", {k: v for k, v in metadata.items() if v}, ACCOUNT, REGION)
    body = [(n, upload.set_part(n, noise(size, n)).etag) for n, size in enumerate(sizes, 1)]
    return upload, body


@pytest.mark.parametrize(
    ("algorithm", "kind"),
    [
        (None, None),
        ("CRC32", None),
        ("CRC32", "FULL_OBJECT"),
        ("CRC32C", None),
        ("CRC64NVME", None),
        ("SHA1", None),
        ("SHA256", None),
    ],
)
def test_a_completed_upload_has_motos_etag_checksum_and_bytes(algorithm, kind):
    upload, body = multipart(algorithm, kind, [PART, PART, 3000])
    expected, expected_etag, expected_checksum = object_files.moto_complete(upload, body)
    spooled, etag, checksum = object_files.complete(upload, body)
    buffer = spooled.adopt()
    buffer.seek(0)
    assert (len(spooled), etag, checksum) == (len(expected), expected_etag, expected_checksum)
    assert buffer.read() == expected
    buffer.close()
    upload.dispose()


@pytest.mark.parametrize(
    ("sizes", "body", "error"),
    [
        ([PART, PART], [(1, "wrong"), (2, None)], InvalidPart),
        ([PART, PART], [(1, None), (3, None)], InvalidPart),
        ([1000, PART], [(1, None), (2, None)], EntityTooSmall),
        ([PART], [], MalformedXML),
    ],
)
def test_a_completion_moto_refuses_is_refused_alike(sizes, body, error):
    upload, parts = multipart(None, None, sizes)
    etags = dict(parts)
    body = [(n, etag or etags.get(n, "")) for n, etag in body]
    for complete in (object_files.moto_complete, object_files.complete):
        with pytest.raises(error):
            complete(upload, body)
    upload.dispose()


@pytest.mark.stack
def test_large_objects_read_back_whole_and_by_ranges_from_the_stacks_folder(stack):
    d = stack.deployment
    s3, bucket = d.client("s3"), d["ArtifactsBucketName"]
    single, parts = noise(7 * MIB + 5, 10), [noise(PART, 11), noise(PART, 12), noise(MIB, 13)]
    s3.put_object(Bucket=bucket, Key="objects/single.bin", Body=single)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="objects/multipart.bin")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="objects/multipart.bin", UploadId=upload, PartNumber=n, Body=part)[
            "ETag"
        ]
        for n, part in enumerate(parts, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="objects/multipart.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    whole_md5s = b"".join(hashlib.md5(p).digest() for p in parts)  # S3's ETags
    expected = {
        "objects/single.bin": (single, hashlib.md5(single).hexdigest()),
        "objects/multipart.bin": (b"".join(parts), f"{hashlib.md5(whole_md5s).hexdigest()}-3"),
    }
    for key, (content, etag) in expected.items():
        got = s3.get_object(Bucket=bucket, Key=key)
        assert got["ETag"].strip('"') == etag
        assert got["Body"].read() == content
        for first, last in [(0, 0), (1000, 2 * MIB), (PART - 10, PART + 10), (len(content) - 9, "")]:
            ranged = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
            assert ranged["Body"].read() == content[first : last + 1 if last != "" else None]
            assert ranged["ContentRange"].endswith(f"/{len(content)}")
        assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=-10")["Body"].read() == content[-10:]
    held = open_file_bytes(os.getpid(), stack.objects)  # the session stack runs in this process
    assert held >= len(single) + 2 * PART, "large objects are files in the stack's own folder"
    assert not list(stack.objects.iterdir()), "unnamed files: nothing left behind should the process die"
