"""What makes moto's server fast enough for a hundred concurrent runs, each change keeping moto's
behaviour (moto is pinned: ``moto_pin``). What changes behaviour is in ``seams``.

1. ``moto.backends.list_of_moto_modules`` lists moto's package folder on every request, under the
   server's global dispatch lock; the list never changes, so it is read once.
2. The Step Functions interpreter builds a new boto3 Lambda client for every task; one per region
   (boto3 clients are thread-safe) serves them all.
3. It also parses the definition with ANTLR for every execution (~0.1 s of Python); the parsed
   program holds only the definition (run state lives in each execution's environment), so it is
   parsed once. An inline Map keeps nothing either: each evaluation makes its own job pool and worker
   frames from its input, and moto already runs one parsed iteration program in several threads at
   once. Definitions with a distributed Map (its map run records) or a Parallel state are parsed
   every time, as moto does.
4. It parses every JSONPath (``$.video``, ResultPath, Choice variables) each time it is evaluated,
   and jsonpath_ng builds a new parser (PLY tables) for each: the parsed paths are kept.
5. moto's request dispatch lists the methods of the handling class with ``inspect`` on every
   request; they are listed once per class.

``check()`` fails loudly if a moto upgrade moves any of them.
"""

import functools
from typing import Any

import boto3
from botocore.config import Config
from moto import backends as moto_backends
from moto.core import responses as moto_responses
from moto.core import utils as moto_utils
from moto.settings import moto_server_port
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path

from devstack.moto_pin import check_signatures


def check() -> None:
    """Raise if moto is not the version whose internals these speed-ups were written against."""
    check_signatures(
        {
            moto_backends.list_of_moto_modules: [],
            lambda_eval_utils.boto_client_for: ["region", "service", "state_credentials"],
            AmazonStateLanguageParser.parse: ["definition"],
            json_path.parse: ["path", "debug"],
            result_path.parse: ["string"],
            moto_responses.method_names_from_class: ["clazz"],
        }
    )


# 1. moto's modules, listed once.
_moto_modules = tuple(moto_backends.list_of_moto_modules())


# 2. One Lambda client per region for the interpreter's tasks.
_original_boto_client_for = lambda_eval_utils.boto_client_for


@functools.cache
def _lambda_client(region: str):
    """As moto's interpreter configures it (no retries: the ASL's Retry decides), but shared."""
    return boto3.client(
        "lambda",
        region_name=region,
        endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
        aws_access_key_id="ak",
        aws_secret_access_key="sk",  # noqa: S106
        config=Config(
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
            connect_timeout=60,
            read_timeout=24 * 3600,
            max_pool_connections=256,
        ),
    )


def _boto_client_for(region: str, service: str, state_credentials: Any = None):
    if service == "lambda":
        return _lambda_client(region)
    return _original_boto_client_for(region, service, state_credentials)


# 3. Each definition parsed once, unless its program keeps run state.
_original_parse = AmazonStateLanguageParser.parse


@functools.lru_cache(maxsize=16)
def _parse_once(definition: str):
    return _original_parse(definition)


def cacheable(definition: str) -> bool:
    """Whether the parsed program holds no run state: no distributed Map, no Parallel state."""
    return '"DISTRIBUTED"' not in definition and '"Parallel"' not in definition


def _parse(definition: str):
    if not cacheable(definition):
        return _original_parse(definition)
    return _parse_once(definition)


# 4. Parsed JSONPaths kept; 5. each class's methods listed once.
_json_path_parse = functools.lru_cache(maxsize=1024)(json_path.parse)
_result_path_parse = functools.lru_cache(maxsize=1024)(result_path.parse)
_method_names = functools.cache(moto_utils.method_names_from_class)


def install() -> None:
    """Put the speed-ups in place (idempotent: installing twice changes nothing more)."""
    check()
    moto_backends.list_of_moto_modules = lambda: _moto_modules
    lambda_eval_utils.boto_client_for = _boto_client_for
    AmazonStateLanguageParser.parse = staticmethod(_parse)  # type: ignore[method-assign]
    json_path.parse = _json_path_parse
    result_path.parse = _result_path_parse
    moto_responses.method_names_from_class = _method_names
