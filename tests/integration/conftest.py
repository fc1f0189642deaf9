"""Fixtures of the integration tests beyond the session's stack (tests/conftest.py)."""

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
