"""Fixtures of the integration tests beyond the session's stack (tests/conftest.py), and a check they share
(here, so pytest rewrites its asserts)."""

import threading

import pytest

from devstack import view


@pytest.fixture(scope="module")
def site(stack):
    """`classroom view`'s server on the session's stack, on a free port: its URL."""
    server = view.ViewServer(stack.deployment, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()


def assert_untouched(stack, key: str, body: bytes) -> None:
    """The upload at ``key`` is still ``body``, its only version, never deleted: the pipeline never
    changes an upload."""
    d = stack.deployment
    s3 = d.client("s3")
    assert s3.get_object(Bucket=d["InputBucketName"], Key=key)["Body"].read() == body
    versions = s3.list_object_versions(Bucket=d["InputBucketName"], Prefix=key)
    assert len(versions.get("Versions", [])) == 1 and not versions.get("DeleteMarkers")
