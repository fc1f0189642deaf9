"""How the long-running commands (`classroom up`, `classroom view`) stop."""

import signal
import sys


def stop_on_signals() -> None:
    """SIGTERM exits as Ctrl-C does (the stack's ``with`` blocks unwind, the stack shut down cleanly), and
    Ctrl-C raises KeyboardInterrupt even when the command was started with SIGINT ignored, as a script's
    background job inherits it: the command says Ctrl-C stops it."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
