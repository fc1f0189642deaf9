"""The local stack's seams into moto are where they were written against (moto is pinned)."""

import moto

from devstack import seams


def test_moto_is_the_pinned_version_and_the_seams_are_where_they_were():
    assert moto.__version__ == seams.MOTO_VERSION
    seams.check()  # raises if a seam moved or changed its signature
