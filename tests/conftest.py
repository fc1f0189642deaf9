"""Fixtures shared by every test: paths to the bundled data, and the local stack."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "sample-classroom"
FACES = Path(__file__).resolve().parent / "data" / "faces"

# The course's expected student per sample clip (mr_bean's year as the student table has it).
EXPECTED = {
    "test_0.mp4": ("president_trump", "physics", "junior"),
    "test_1.mp4": ("president_biden", "history", "sophomore"),
    "test_2.mp4": ("mr_bean", "lawyer", "freshmen"),
    "test_4.mp4": ("johnny_dep", "computer_science", "senior"),
    "test_5.mp4": ("vin_diesel", "computer_science", "sophomore"),
    "test_6.mp4": ("floki", "history", "junior"),
    "test_7.mp4": ("morgan_freeman", "math", "senior"),
    "test_8.mp4": ("president_obama", "electrical_engineering", "senior"),
}


MAX_VIDEO_BYTES = 32 * 1024 * 1024  # the session stack's limit (the generated 60-minute lecture is 28 MiB)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """One seeded local stack for the whole session (moto server + warm handler workers)."""
    from devstack.seeding import seed
    from devstack.stack import LocalStack
    from devstack.template import Template

    # A small byte limit so the bad-input tests can exceed it, a short WriteCsv timeout so the fault tests
    # can time it out, and ExtractFrames' timeout as it was before the 4K worst case raised it to 180 s: a
    # step killed early leaves a claim its retry waits out for the Timeout, and the tests' videos need a few
    # seconds of it. Everything else is the template as deployed.
    template = Template(parameters={"MaxVideoBytes": str(MAX_VIDEO_BYTES)})
    timeouts = {"WriteCsvFunction": 5, "ExtractFramesFunction": 60}
    with LocalStack(
        workdir=tmp_path_factory.mktemp("classroom"), template=template, timeouts=timeouts
    ) as local:
        seed(local.deployment)
        yield local
