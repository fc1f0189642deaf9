"""``classroom``: run videos through the pipeline, locally or on a deployed stack, and inspect the runs."""

import argparse
import importlib
import logging
import sys
import time
from contextlib import ExitStack, suppress
from pathlib import Path

from devstack import history as history_
from devstack import runs, seeding
from devstack.deployment import Deployment
from devstack.stopping import stop_on_signals

# Modules adding a subcommand: each has ``register(subparsers, add_target=, deployment=)``.
EXTENSIONS: tuple[str, ...] = ("enroll", "workload", "invoke", "view")


def _add_target(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--endpoint", help="URL of a running local stack (`classroom up`)")
    where.add_argument("--stack", help="name of a deployed CloudFormation stack (uses your AWS credentials)")
    parser.add_argument("--region", help="AWS region of --stack")


def _deployment(args: argparse.Namespace, resources: ExitStack) -> Deployment:
    """The target: --stack on AWS, --endpoint of a running local stack, or a new in-process local stack."""
    if args.stack:
        return Deployment.from_stack(args.stack, args.region)
    if args.endpoint:
        return Deployment.local(args.endpoint)
    from devstack.stack import LocalStack

    print("starting the local stack…", file=sys.stderr)
    return resources.enter_context(LocalStack()).deployment


def cmd_run(args: argparse.Namespace) -> int:
    with ExitStack() as resources:
        deployment = _deployment(args, resources)
        if not args.no_seed:
            print(seeding.seed(deployment, args.students, args.encodings), file=sys.stderr)
        here = Path.cwd()
        samples = sorted(seeding.SAMPLE_VIDEOS.glob("*.mp4"))
        videos = args.videos or [p.relative_to(here) if p.is_relative_to(here) else p for p in samples]
        uploads = [runs.upload(deployment, Path(v)) for v in videos]
        outcomes = runs.wait(deployment, uploads, timeout=args.timeout)
        for result in outcomes:
            try:
                runs.download(deployment, result, args.out)
            except Exception as error:  # the outcome line still tells what happened
                print(f"could not download the outputs of {result.file}: {error}", file=sys.stderr)
            print(result.to_json() if args.json else result.line(), flush=True)
        return 0 if all(r.status == "SUCCEEDED" for r in outcomes) else 1


def cmd_up(args: argparse.Namespace) -> int:
    from devstack.stack import LocalStack

    stop_on_signals()
    with LocalStack(port=args.port) as stack:
        print(seeding.seed(stack.deployment), file=sys.stderr)
        with suppress(KeyboardInterrupt):  # from the line that says Ctrl-C stops it on
            endpoint = stack.endpoint
            print(f"local stack on {endpoint}  (aws --endpoint-url {endpoint} …; Ctrl-C stops it)")
            for name, value in stack.deployment.outputs.items():
                print(f"  {name}: {value}")
            sys.stdout.flush()
            while True:
                time.sleep(3600)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    with ExitStack() as resources:
        print(seeding.seed(_deployment(args, resources), args.students, args.encodings))
    return 0


def cmd_executions(args: argparse.Namespace) -> int:
    with ExitStack() as resources:
        deployment = _deployment(args, resources)
        sfn = deployment.client("stepfunctions")
        for item in runs.executions(deployment, args.limit):
            run = runs.summary(sfn.describe_execution(executionArn=item["executionArn"]))
            print(run.to_json() if args.json else run.line(), flush=True)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    with ExitStack() as resources:
        steps, end = history_.history(_deployment(args, resources), args.execution)
        print(history_.render(steps, end))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="classroom", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="process videos (or class photos) end to end and print one line each")
    run.add_argument(
        "videos",
        nargs="*",
        type=Path,
        help="videos (MP4, …) or class photos (JPEG, PNG, WebP) (default: the bundled sample videos)",
    )
    run.add_argument("--json", action="store_true", help="one JSON object per line")
    run.add_argument(
        "--encodings",
        type=Path,
        default=seeding.SAMPLE_ENCODINGS,
        help="known faces (.npz or the course pickle)",
    )
    run.add_argument(
        "--students", type=Path, default=seeding.SAMPLE_STUDENTS, help="student records (JSON list)"
    )
    run.add_argument("--out", type=Path, default=Path("out"), help="where to put the CSVs (default: out/)")
    run.add_argument("--no-seed", action="store_true", help="keep the students and known faces already there")
    run.add_argument("--timeout", type=float, default=900, help="seconds to wait for all executions")
    _add_target(run)
    run.set_defaults(handler=cmd_run)

    up = sub.add_parser("up", help="keep a seeded local stack running on loopback")
    up.add_argument("--port", type=int, default=5000)
    up.set_defaults(handler=cmd_up)

    seed = sub.add_parser("seed", help="load students and known faces")
    seed.add_argument("--encodings", type=Path, default=seeding.SAMPLE_ENCODINGS)
    seed.add_argument("--students", type=Path, default=seeding.SAMPLE_STUDENTS)
    _add_target(seed)
    seed.set_defaults(handler=cmd_seed)

    executions = sub.add_parser(
        "executions",
        help="the runs, newest first: start, status, duration, video, and the students found or the error",
    )
    executions.add_argument("--json", action="store_true", help="one JSON object per line")
    executions.add_argument("--limit", type=int, help="only the newest LIMIT runs")
    _add_target(executions)
    executions.set_defaults(handler=cmd_executions)

    hist = sub.add_parser("history", help="one execution, state by state, with durations and errors")
    hist.add_argument("execution", help="execution ARN")
    _add_target(hist)
    hist.set_defaults(handler=cmd_history)

    for name in EXTENSIONS:
        importlib.import_module(f"devstack.{name}").register(
            sub, add_target=_add_target, deployment=_deployment
        )
    return root


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
