"""Serve the pages on loopback, reading executions through the Step Functions API."""

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from devstack import history, runs
from devstack.deployment import Deployment
from devstack.view import course
from devstack.view.pages import execution_page, list_page, page
from devstack.view.text import esc

HOST = "127.0.0.1"


class Viewer:
    """Reads executions through the Step Functions API, caching what can no longer change."""

    limit = 200  # the newest executions listed

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.machine = deployment["StateMachineArn"]
        self._described: dict[str, dict] = {}  # finished executions' descriptions
        self._finished: dict[str, tuple[dict, dict, list[dict]]] = {}
        self._definitions: dict[str, dict] = {}

    @property
    def sfn(self):
        return self.deployment.client("stepfunctions")

    def executions(self) -> list[runs.Run]:
        found = []
        for item in runs.executions(self.deployment, self.limit):
            arn = item["executionArn"]
            described = self._described.get(arn) or self.sfn.describe_execution(executionArn=arn)
            if described["status"] in runs.FINISHED:
                self._described[arn] = described
            found.append(runs.summary(described))
        return found

    def course_page(self, name: str) -> str:
        """A course's register, each cell linked to its session's newest run."""
        from devstack.courses import register_of

        sessions, register = register_of(self.deployment, name)
        return course.course_page(name, sessions, register, course.runs_by_session(self.executions(), name))

    def frame(self, arn: str) -> bytes | None:
        """The JPEG a succeeded run annotated, from the artifacts bucket."""
        key = runs.summary(self.execution(arn)[0]).annotated_key
        if not key:
            return None
        s3 = self.deployment.client("s3")
        return s3.get_object(Bucket=self.deployment["ArtifactsBucketName"], Key=key)["Body"].read()

    def definition(self, execution: dict) -> dict:
        arn = execution["executionArn"]
        if arn not in self._definitions:
            try:
                text = self.sfn.describe_state_machine_for_execution(executionArn=arn)["definition"]
            except Exception:  # older APIs: the state machine as it is now
                text = self.sfn.describe_state_machine(stateMachineArn=execution["stateMachineArn"])[
                    "definition"
                ]
            self._definitions[arn] = json.loads(text)
        return self._definitions[arn]

    def execution(self, arn: str) -> tuple[dict, dict, list[dict]]:
        if arn in self._finished:
            return self._finished[arn]
        execution = self.sfn.describe_execution(executionArn=arn)
        found = (execution, self.definition(execution), history.events(self.deployment, arn))
        if execution["status"] in runs.FINISHED:
            self._finished[arn] = found
        return found


class _Handler(BaseHTTPRequestHandler):
    server: "ViewServer"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        viewer = self.server.viewer
        try:
            if url.path == "/":
                self._send(200, list_page(viewer.machine, viewer.executions()))
            elif url.path == "/execution":
                arn = parse_qs(url.query).get("arn", [""])[0]
                execution, definition, events = viewer.execution(arn)
                self._send(200, execution_page(execution, definition, events))
            elif url.path == "/courses":
                self._send(200, course.courses_page(course.course_names(viewer.deployment)))
            elif url.path == "/course":
                name = parse_qs(url.query).get("name", [""])[0]
                self._send(200, viewer.course_page(name))
            elif url.path == "/frame":
                jpeg = viewer.frame(parse_qs(url.query).get("arn", [""])[0])
                if jpeg is None:
                    self._send(404, page("Not found", "<h1>This run has no annotated frame</h1>"))
                else:
                    self._send(200, jpeg, "image/jpeg")
            elif url.path == "/favicon.ico":
                self.send_response(HTTPStatus.NO_CONTENT)
                self.end_headers()
            else:
                self._send(404, page("Not found", f"<h1>Not found</h1><p>{esc(url.path)}</p>"))
        except Exception as error:
            message = (
                f'<h1>Could not read it</h1><div class="error"><b>{esc(type(error).__name__)}</b>: '
                f"{esc(error)}</div>"
            )
            self._send(500, page("Error", message))


class ViewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, deployment: Deployment, port: int = 8008, host: str = HOST) -> None:
        super().__init__((host, port), _Handler)
        self.viewer = Viewer(deployment)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"
