"""`classroom view`: the subcommand, and a demo that gives the page runs to show."""

import argparse
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path

from devstack import runs, seeding
from devstack.deployment import Deployment
from devstack.stopping import stop_on_signals
from devstack.view.server import HOST, ViewServer


def demo(deployment: Deployment) -> list[runs.Upload]:
    """Seed, then upload the bundled sample videos and one file that is not a video."""
    print(seeding.seed(deployment), file=sys.stderr)
    uploads = [runs.upload(deployment, video) for video in sorted(seeding.SAMPLE_VIDEOS.glob("*.mp4"))]
    with tempfile.TemporaryDirectory() as folder:
        broken = Path(folder) / "broken.mp4"
        broken.write_text("this is not a video\n")
        uploads.append(runs.upload(deployment, broken))
    print(f"uploaded {len(uploads)} videos (one of them broken.mp4, which fails on purpose)", file=sys.stderr)
    return uploads


def cmd_view(
    args: argparse.Namespace, deployment: Callable[[argparse.Namespace, ExitStack], Deployment]
) -> int:
    if args.demo and args.stack:
        print("--demo uploads sample videos; use it with the local stack, not --stack", file=sys.stderr)
        return 2
    stop_on_signals()
    with ExitStack() as resources:
        target = deployment(args, resources)
        try:
            server = ViewServer(target, args.port)
        except OSError as error:
            print(f"cannot listen on {HOST}:{args.port}: {error.strerror} (try --port)", file=sys.stderr)
            return 2
        resources.callback(server.server_close)
        if args.demo:
            demo(target)
        with suppress(KeyboardInterrupt):  # from the line that says Ctrl-C stops it on
            print(f"classroom view on {server.url}  (Ctrl-C stops it)", flush=True)
            server.serve_forever()
    return 0


def register(subparsers, add_target: Callable, deployment: Callable) -> None:
    view = subparsers.add_parser(
        "view",
        help="browse the executions in a local web page: graph, steps, errors",
        description=(
            "Serve a page on loopback that lists the state machine's executions and, for each one, draws "
            "the state machine with every state coloured by what happened (succeeded, caught, failed, "
            "not reached; retries counted) above a table of its steps with input, output, error and "
            "duration. Without --endpoint or --stack it starts a local stack in this process, which has "
            "no executions until you upload videos: add --demo."
        ),
    )
    view.add_argument("--port", type=int, default=8008, help="port on 127.0.0.1 (default: 8008; 0: any free)")
    view.add_argument(
        "--demo",
        action="store_true",
        help="first seed the students and known faces and upload the bundled sample videos plus one "
        "bad upload (broken.mp4, a text file that fails in ExtractFrames), so there are runs to look at; "
        "local stacks only",
    )
    add_target(view)
    view.set_defaults(handler=lambda args: cmd_view(args, deployment))
