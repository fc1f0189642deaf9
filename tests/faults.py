"""Faults injected into the local stack's Lambdas, for the tests that show every upload still ends right."""

import threading
from urllib.parse import unquote_plus


def upload_key(event: dict) -> str | None:
    """The upload an invocation works on, whatever the step's input looks like."""
    if "detail" in event:
        return unquote_plus(event["detail"]["object"]["key"])
    return event.get("video", {}).get("key")


class FirstAttemptFaults:
    """Inject ``kind`` into the first invocation for each chosen upload, then let retries through."""

    def __init__(self, kind: str, chosen: set[str]) -> None:
        self.kind, self.chosen, self.hit = kind, chosen, set()
        self._lock = threading.Lock()

    def __call__(self, event: dict) -> str | None:
        key = upload_key(event)
        with self._lock:
            if key in self.chosen and key not in self.hit:
                self.hit.add(key)
                return self.kind
        return None


class Faults:
    """Several kinds of faults in one function: the first that applies to an invocation is injected."""

    def __init__(self, *faults: FirstAttemptFaults) -> None:
        self.faults = faults

    def __call__(self, event: dict) -> str | None:
        return next((kind for fault in self.faults if (kind := fault(event))), None)
