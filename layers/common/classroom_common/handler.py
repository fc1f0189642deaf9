"""What every step's handler starts with, Powertools-style: ``logger``, ``tracer`` and ``metrics`` for
the module, ``env`` for its settings, and ``@step_handler`` on its ``lambda_handler``::

    from classroom_common.handler import env, logger, metrics, step_handler, tracer

    @step_handler
    def lambda_handler(event: dict, context: LambdaContext) -> dict: ...

Powertools reads its settings (service name, metrics namespace) from the environment when these are
made, at import: import this module in a function's environment, as Lambda does.
"""

import functools
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from classroom_common import idempotency
from classroom_common.errors import transient_errors

logger = Logger()
tracer = Tracer()
metrics = Metrics()

Handler = Callable[[Any, LambdaContext], Any]


def env(name: str) -> str:
    """A required environment variable, with an error that names it."""
    try:
        return os.environ[name]
    except KeyError:
        raise RuntimeError(f"environment variable {name} is not set") from None


def step_handler(handler: Handler) -> Handler:
    """A step's Lambda handler: the invocation's context in every log line, an X-Ray segment, metrics
    flushed at the end, transient AWS errors raised as TransientAwsError, and the context registered
    with idempotency (an in-progress record expires when a timed-out invocation would have)."""

    @functools.wraps(handler)
    def registered(event: Any, context: LambdaContext) -> Any:
        idempotency.register(context)
        return handler(event, context)

    return logger.inject_lambda_context(
        tracer.capture_lambda_handler(metrics.log_metrics(transient_errors(registered)))
    )
