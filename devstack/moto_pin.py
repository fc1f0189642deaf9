"""The moto release whose internals devstack patches (``seams``, ``speedups``), and the check that each
patched function is still where it was, with the parameters it had: a moto upgrade fails loudly here."""

import inspect
from collections.abc import Callable

import moto

MOTO_VERSION = "5.2.5"


def check_signatures(expected: dict[Callable, list[str]]) -> None:
    """Raise if moto is not ``MOTO_VERSION`` or a patched function's parameters are not ``expected``."""
    if moto.__version__ != MOTO_VERSION:
        raise RuntimeError(
            f"devstack's moto patches are written for moto {MOTO_VERSION}, found {moto.__version__}"
        )
    for function, parameters in expected.items():
        found = list(inspect.signature(getattr(function, "__wrapped__", function)).parameters)
        if found != parameters:
            raise RuntimeError(f"moto's {function.__qualname__}{found} changed; expected {parameters}")
