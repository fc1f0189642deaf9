"""The local stack's patches of moto are where they were written against (moto is pinned)."""

import moto
import pytest

from devstack import moto_pin, seams, speedups


def test_moto_is_the_pinned_version():
    assert moto.__version__ == moto_pin.MOTO_VERSION


@pytest.mark.parametrize("patches", [seams, speedups], ids=["behaviour", "speed"])
def test_each_patched_function_is_where_it_was(patches):
    patches.check()  # raises if a patched function moved or changed its parameters


def test_a_definition_is_parsed_once_unless_its_program_keeps_run_state():
    assert speedups.cacheable('{"States": {"A": {"Type": "Map", "ItemProcessor": {}}}}')
    assert not speedups.cacheable('{"ProcessorConfig": {"Mode": "DISTRIBUTED"}}')
    assert not speedups.cacheable('{"States": {"B": {"Type": "Parallel"}}}')
