"""Our handlers run as Lambdas: warm worker processes, one pool per function.

Each worker is a fresh (spawned) Python process with the function's template environment,
its code folder and layers on ``sys.path`` (``devstack.function_path``), and the handler module
imported once: a warm Lambda container. An invocation that outlives the function's ``Timeout``
kills its worker and fails with ``Sandbox.Timedout``, a worker that dies fails it with
``Runtime.ExitError``, as on AWS; with ``FunctionPool.errors = "unknown"`` both come back without an
``errorType``, which Step Functions reports as ``Lambda.Unknown`` (``sandbox_errors``).
"""

import contextlib
import importlib
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devstack import sandbox_errors
from devstack.cpu_share import held_to
from devstack.function_path import on_path
from devstack.sandbox_errors import Style
from devstack.template import FunctionSpec

_SPAWN = multiprocessing.get_context("spawn")


@dataclass
class Invocation:
    """What one invocation of a function gave back, as Lambda's Invoke API does."""

    payload: str  # JSON: the handler's return value, or Lambda's error object
    errored: bool
    logs: str
    seconds: float


class _Capture:
    """Stands in for stdout/stderr in a worker; each invocation takes what was written."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def take(self) -> str:
        text, self._parts = "".join(self._parts), []
        return text


class _Context:
    """The parts of the Lambda context object that Powertools and handlers read."""

    def __init__(self, spec: FunctionSpec, deadline: float, request_id: str) -> None:
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = "local"
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error: BaseException, error_type: str | None = None) -> str:
    return json.dumps(
        {
            "errorType": error_type or type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_tb(error.__traceback__),
        }
    )


def _worker(conn, spec: FunctionSpec, environment: dict[str, str]) -> None:
    """A warm container: the function's environment, its code and layers on the path for its whole life."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the stack stops us
    os.environ.update(environment)
    capture = _Capture()
    sys.stdout = sys.stderr = capture  # type: ignore[assignment]
    with on_path(spec):
        _serve(conn, spec, capture)


def _serve(conn, spec: FunctionSpec, capture: _Capture) -> None:
    """Import the handler once, then serve invocations until told to stop."""
    module_name, function_name = spec.handler.rsplit(".", 1)
    try:
        handler: Callable = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # reported on every invocation, as Lambda does
        conn.send((_error(error, "Runtime.ImportModuleError"), True, capture.take()))
        return
    conn.send(("", False, capture.take()))
    while (message := conn.recv()) is not None:
        event, deadline, request_id, fault = message
        try:
            if fault == "crash":  # an injected fault: the sandbox dies under the function (out of memory)
                os.kill(os.getpid(), signal.SIGKILL)
            payload, errored = json.dumps(handler(event, _Context(spec, deadline, request_id))), False
            if fault == "timeout":  # an injected fault: finish the work, then outlive the timeout
                time.sleep(max(0.0, deadline - time.time()) + 5)
        except Exception as error:
            traceback.print_exc()
            payload, errored = _error(error), True
        conn.send((payload, errored, capture.take()))


class _Worker:
    def __init__(self, spec: FunctionSpec, environment: dict[str, str]) -> None:
        self.conn, child = _SPAWN.Pipe()
        self.process = _SPAWN.Process(target=_worker, args=(child, spec, environment), daemon=True)
        self.process.start()
        child.close()
        self.event: dict | None = None  # the invocation it is serving
        self.init = self.conn.recv()  # (payload, errored, logs) of the cold start

    def call(
        self,
        event: dict,
        timeout: float,
        request_id: str,
        fault: str | None = None,
        share: float | None = None,
    ) -> tuple[str, bool, str] | None:
        """The handler's answer, or None if it ran past ``timeout``; held to ``share`` of a CPU meanwhile."""
        self.event = event
        try:
            with held_to(self.process.pid, share):
                self.conn.send((event, time.time() + timeout, request_id, fault))
                if not self.conn.poll(timeout):
                    return None
            self.event = None  # answered: no longer serving it
            return self.conn.recv()
        finally:
            self.event = None

    def stop(self) -> None:
        """Ask the worker to exit once its invocation (if any) is done; ``kill`` ends it for sure."""
        with contextlib.suppress(OSError):
            self.conn.send(None)

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class Refused(Exception):
    """An injected fault: Lambda's service answers the Invoke call with an error instead of running the
    function (Step Functions reports it as ``Lambda.<code>``)."""

    code, status = "ServiceException", 500

    def __init__(self, message: str, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.status = code or self.code, status or self.status


class Throttled(Refused):
    """An injected fault: Lambda refuses the invocation (TooManyRequestsException)."""

    code, status = "TooManyRequestsException", 429


# event -> None, or the fault to inject: "throttle", "client-timeout", "timeout" or "crash"
Fault = Callable[[dict], str | None]


class FunctionPool:
    """Up to ``max_workers`` warm workers for one function; callers wait for a free one."""

    def __init__(
        self, spec: FunctionSpec, environment: dict[str, str], max_workers: int, log_file: Path | None
    ) -> None:
        self.spec = spec
        self._environment = {
            **spec.environment,
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        }
        self._max = max_workers
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()  # idle or busy
        self._count = 0
        self._lock = threading.Condition()
        self._log_file = log_file
        self.invocations = 0
        self.faults: Fault | None = None  # fault injection for tests
        self.errors: Style = "named"  # how a crash or a timeout is reported (devstack.sandbox_errors)
        self.cpu_share: float | None = None  # CPUs an invocation may use (devstack.cpu_share); None: all

    def _acquire(self) -> tuple[_Worker, str]:
        with self._lock:
            while not self._idle and self._count >= self._max:
                self._lock.wait()
            while self._idle:  # a warm worker, unless it died idle (Lambda would give a new sandbox)
                worker = self._idle.pop()
                if worker.process.is_alive():
                    return worker, ""
                worker.kill()
                self._live.discard(worker)
                self._count -= 1
            self._count += 1
        try:
            worker = _Worker(self.spec, self._environment)
        except BaseException:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise
        with self._lock:
            self._live.add(worker)
        return worker, worker.init[2]

    def _release(self, worker: _Worker | None) -> None:
        with self._lock:
            if worker is None:
                self._count -= 1
            else:
                self._idle.append(worker)
            self._lock.notify()

    def warm(self, count: int = 1) -> None:
        """Start ``count`` workers (up to ``max_workers``) ahead of the first invocations."""
        workers = []
        for _ in range(min(count, self._max)):
            worker, logs = self._acquire()
            self._log(logs)
            workers.append(worker)
        for worker in workers:
            self._release(worker)

    def invoke(self, event: dict) -> Invocation:
        started = time.perf_counter()
        with self._lock:
            self.invocations += 1
        fault = self.faults(event) if self.faults else None
        if fault == "throttle":
            raise Throttled("Rate Exceeded.")
        if fault == "client-timeout":  # Step Functions' own Lambda client gave up on the call
            raise Refused(
                "Client execution did not complete before the specified timeout configuration.",
                "ClientExecutionTimeoutException",
            )
        request_id = str(uuid.uuid4())
        try:
            worker, init_logs = self._acquire()
        except (EOFError, OSError):  # the process died while starting (a crash in an import)
            return self._done(self._failed(sandbox_errors.crashed(request_id, None, self.errors)))
        if worker.init[1]:  # the handler module failed to import
            self._discard(worker)
            return self._done(Invocation(worker.init[0], True, init_logs, 0.0))
        try:
            answer = worker.call(event, self.spec.timeout, request_id, fault, self.cpu_share)
        except (EOFError, OSError):  # the process died mid-invocation: killed, crashed, or sys.exit
            worker.process.join(1)
            payload = sandbox_errors.crashed(request_id, worker.process.exitcode, self.errors)
            self._discard(worker)
            return self._done(self._failed(payload, time.perf_counter() - started))
        if answer is None:
            self._discard(worker)
            seconds = time.perf_counter() - started
            payload = sandbox_errors.timed_out(request_id, self.spec.timeout, seconds, self.errors)
            result = self._failed(payload, seconds)
            result.logs = init_logs + json.loads(payload)["errorMessage"] + "\n"
            return self._done(result)
        self._release(worker)
        payload, errored, logs = answer
        return self._done(Invocation(payload, errored, init_logs + logs, time.perf_counter() - started))

    def _discard(self, worker: _Worker) -> None:
        """A worker that cannot serve again: end it and free its slot in the pool."""
        worker.kill()
        with self._lock:
            self._live.discard(worker)
        self._release(None)

    @staticmethod
    def _failed(payload: str, seconds: float = 0.0) -> Invocation:
        return Invocation(payload, True, "", seconds)

    def _done(self, result: Invocation) -> Invocation:
        self._log(result.logs)
        return result

    def _log(self, text: str) -> None:
        if self._log_file and text:
            with self._log_file.open("a") as log:
                log.write(text)

    def running(self) -> list[tuple[int, dict]]:
        """(process id, event) of each worker serving an invocation now: what a test kills."""
        with self._lock:
            workers = list(self._live)
        return [(w.process.pid, event) for w in workers if (event := w.event) is not None and w.process.pid]

    def pids(self) -> list[int]:
        """Process ids of the idle workers: every live worker once no invocation is running."""
        with self._lock:
            return [worker.process.pid for worker in self._idle if worker.process.pid]

    def stop_workers(self) -> list[_Worker]:
        """Tell every worker, idle or busy, to exit; returns them, for ``shut_down`` to wait for."""
        with self._lock:
            workers, self._idle = list(self._live), []
        for worker in workers:
            worker.stop()
        return workers

    def close(self) -> None:
        shut_down([self])


def shut_down(pools: list[FunctionPool], grace: float = 0.2) -> None:
    """End every worker of ``pools`` together: ``grace`` seconds in all to exit, then killed."""
    workers = [worker for pool in pools for worker in pool.stop_workers()]
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        worker.kill()
