"""``classroom``: run videos through the pipeline, locally or on a deployed stack, and inspect the runs."""

import argparse
import importlib
import logging
import os
import sys
import time
from contextlib import ExitStack, suppress
from pathlib import Path

from devstack import history as history_
from devstack import mistakes, runs, seeding
from devstack.deployment import Deployment
from devstack.mistakes import Mistake, existing_file
from devstack.stopping import stop_on_signals
from devstack.template import REGION

# Modules adding a subcommand: each has ``register(subparsers, add_target=, deployment=)``.
EXTENSIONS: tuple[str, ...] = ("enroll", "workload", "invoke", "view", "courses", "forget")
LOCAL_CREDENTIALS = "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing"  # the local stack takes any
STUDENTS_HELP = f"a JSON list of records, {seeding.RECORD} (name as the known faces name the person)"


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
        return mistakes.stack_answers(Deployment.local(args.endpoint))
    from devstack.stack import LocalStack

    print("starting the local stack…", file=sys.stderr)
    return resources.enter_context(LocalStack()).deployment


def _targeted(args: argparse.Namespace, what: str) -> None:
    """Refuse a command that would act on a new in-process stack, which vanishes, with ``what`` it did,
    when the command ends."""
    if not (args.endpoint or args.stack):
        raise Mistake(
            "give it a stack, --endpoint URL of a running local stack or --stack NAME "
            f"({mistakes.START_ONE}): on a new stack of its own {what}"
        )


def _given(args: argparse.Namespace) -> None:
    """Read the --students and --encodings files now, so a mistake in them stops the command at once."""
    if args.students:
        seeding.read_students(args.students)
    if args.encodings:
        seeding.read_known_faces(args.encodings)


def cmd_run(args: argparse.Namespace) -> int:
    videos = [existing_file(v, "a video or class photo to upload") for v in args.videos]
    _given(args)
    with ExitStack() as resources:
        deployment = _deployment(args, resources)
        own = not (args.endpoint or args.stack)  # a new, empty stack: the samples fill what is not given
        students = args.students or (seeding.SAMPLE_STUDENTS if own else None)
        encodings = args.encodings or (seeding.SAMPLE_ENCODINGS if own else None)
        if not args.no_seed and (students or encodings):
            print(seeding.seed(deployment, students, encodings), file=sys.stderr)
        here = Path.cwd()
        samples = sorted(seeding.SAMPLE_VIDEOS.glob("*.mp4"))
        videos = videos or [p.relative_to(here) if p.is_relative_to(here) else p for p in samples]
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

    mistakes.port_free(args.port)
    stop_on_signals()
    with LocalStack(port=args.port) as stack:
        print(seeding.seed(stack.deployment), file=sys.stderr)
        with suppress(KeyboardInterrupt):  # from the line that says Ctrl-C stops it on
            endpoint = stack.endpoint
            print(f"local stack on {endpoint}  (Ctrl-C stops it)")
            for name, value in stack.deployment.outputs.items():
                print(f"  {name}: {value}")
            print(f"classroom commands act on it with --endpoint {endpoint}")
            print("the AWS CLI and boto3 need credentials, any will do; in another terminal:")
            print(f"  export {LOCAL_CREDENTIALS} AWS_DEFAULT_REGION={REGION}")
            print(f"  aws --endpoint-url {endpoint} s3 ls")
            sys.stdout.flush()
            while True:
                time.sleep(3600)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    _targeted(args, "what it seeded would be gone when it ends")
    _given(args)
    students, encodings = args.students, args.encodings
    if not (students or encodings):  # the course's sample set, both parts
        students, encodings = seeding.SAMPLE_STUDENTS, seeding.SAMPLE_ENCODINGS
    with ExitStack() as resources:
        print(seeding.seed(_deployment(args, resources), students, encodings))
    return 0


def cmd_executions(args: argparse.Namespace) -> int:
    _targeted(args, "there would be no runs to list")
    with ExitStack() as resources:
        deployment = _deployment(args, resources)
        sfn = deployment.client("stepfunctions")
        for item in runs.executions(deployment, args.limit):
            run = runs.summary(sfn.describe_execution(executionArn=item["executionArn"]))
            print(run.to_json() if args.json else run.line(), flush=True)
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    _targeted(args, "there would be no runs to show")
    with ExitStack() as resources:
        deployment = _deployment(args, resources)
        steps, end = history_.history(deployment, history_.find(deployment, args.execution))
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
        help="seed these known faces first (.npz from `classroom enroll`, or the course pickle; default: the "
        "samples' on a new stack, those already there with --endpoint or --stack)",
    )
    run.add_argument(
        "--students",
        type=Path,
        help=f"add these student records first: {STUDENTS_HELP} (default: the samples' on a new stack)",
    )
    run.add_argument("--out", type=Path, default=Path("out"), help="where to put the CSVs (default: out/)")
    run.add_argument("--no-seed", action="store_true", help="seed nothing, not even on a new stack")
    run.add_argument("--timeout", type=float, default=900, help="seconds to wait for all executions")
    _add_target(run)
    run.set_defaults(handler=cmd_run)

    up = sub.add_parser("up", help="keep a seeded local stack running on loopback")
    up.add_argument("--port", type=int, default=5000)
    up.set_defaults(handler=cmd_up)

    seed = sub.add_parser(
        "seed",
        help="load student records and known faces into --endpoint or --stack (only what is given; "
        "neither: the samples' both)",
    )
    seed.add_argument(
        "--encodings",
        type=Path,
        help="known faces: .npz (`classroom enroll`) or the course pickle; replaces those there "
        "(enroll --merge keeps them)",
    )
    seed.add_argument("--students", type=Path, help=f"student records to add or update: {STUDENTS_HELP}")
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
    hist.add_argument(
        "execution",
        help="the execution: its id (the short one `classroom executions` prints will do), its ARN, or the "
        "key of the video it ran on (its newest run)",
    )
    _add_target(hist)
    hist.set_defaults(handler=cmd_history)

    for name in EXTENSIONS:
        importlib.import_module(f"devstack.{name}").register(
            sub, add_target=_add_target, deployment=_deployment
        )
    return root


def _stdout_gone() -> None:
    """After a reader closed the pipe (``classroom executions | head -1``): send what is left of stdout
    to /dev/null, so Python's own flush at exit does not complain either."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Run one command; a likely mistake ends it with one line on stderr that says what to do (exit 2)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:
        _stdout_gone()
        return 141  # as a Unix tool's SIGPIPE exit shows in the shell: 128 + 13, nothing printed
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        message = mistakes.explain(error, getattr(args, "endpoint", None), getattr(args, "stack", None))
        if message is None:
            raise
        print(f"classroom {args.command}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
