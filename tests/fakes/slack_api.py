"""Fake Slack Web API (aiohttp on 127.0.0.1) that records every call and answers like Slack."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from tests.fakes.slack_socket import FakeSocketModeServer
from tests.fakes.slack_web_responses import SlackWorkspace, answer

JSON_CONTENT_TYPE = "application/json"
Answer = dict[str, Any] | Callable[["RecordedCall"], dict[str, Any]]


@dataclass(frozen=True)
class RecordedCall:
    """One HTTP call received by the fake: Web API method or response_url post."""

    method: str
    args: dict[str, Any]
    headers: CIMultiDict[str]
    http_method: str
    path: str
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        """Bearer token from the Authorization header, if any."""
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return None
        return auth.removeprefix("Bearer ").strip() or None

    def json_arg(self, name: str) -> Any:
        """Argument `name`, decoded from JSON when it was sent form-encoded as a string."""
        value = self.args.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            return json.loads(value)
        return value


@dataclass
class _Failure:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    remaining: int | None


class FakeSlackAPI:
    """Local Slack Web API: `async with FakeSlackAPI() as api:` then `api.base_url`."""

    def __init__(
        self,
        *,
        workspace: SlackWorkspace | None = None,
        valid_tokens: set[str] | None = None,
    ) -> None:
        self.workspace = workspace or SlackWorkspace()
        self.valid_tokens = valid_tokens
        self.calls: list[RecordedCall] = []
        self.socket = FakeSocketModeServer(app_id=self.workspace.app_id)
        self._failures: dict[str, list[_Failure]] = {}
        self._answers: dict[str, Answer] = {}
        self._changed = asyncio.Condition()
        self._hook_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ----- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Start serving on 127.0.0.1 with an ephemeral port."""
        app = web.Application()
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post("/commands/{rest:.+}", self._handle_response_url)
        app.router.add_post("/actions/{rest:.+}", self._handle_response_url)
        self.socket.mount(app)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Close websockets, then stop the server."""
        await self.socket.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlackAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ----- addresses -------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT`."""
        if self._port is None:
            raise RuntimeError("FakeSlackAPI is not started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """Value for `AsyncWebClient(base_url=...)` (trailing slash included)."""
        return f"{self.root_url}/api/"

    def response_url(self, kind: str = "commands") -> str:
        """A fresh response_url (`commands` or `actions`) served by this fake."""
        hook = next(self._hook_ids)
        return f"{self.root_url}/{kind}/{self.workspace.team_id}/{hook}/hook{hook:04d}"

    # ----- configuration ---------------------------------------------------------------------
    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer `method` with HTTP 429 + `Retry-After` the next `times` calls."""
        body = {"ok": False, "error": "ratelimited"}
        failure = _Failure(429, body, {"Retry-After": str(retry_after)}, times)
        self._failures.setdefault(method, []).append(failure)

    def fail_with(self, method: str, error: str, *, times: int | None = 1) -> None:
        """Answer `method` with `{"ok": false, "error": error}` (`times=None`: for ever)."""
        failure = _Failure(200, {"ok": False, "error": error}, {}, times)
        self._failures.setdefault(method, []).append(failure)

    def answer_with(self, method: str, body: Answer) -> None:
        """Replace the success answer of `method` by a dict or a function of the call."""
        self._answers[method] = body

    def reset(self) -> None:
        """Forget recorded calls and configured failures."""
        self.calls.clear()
        self._failures.clear()

    # ----- inspection ------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[RecordedCall]:
        """Recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    @property
    def methods(self) -> list[str]:
        """Names of all recorded calls, in order."""
        return [c.method for c in self.calls]

    async def wait_for(
        self,
        method: str,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> RecordedCall:
        """Wait until `method` was called `count` times; return that call."""
        try:
            async with self._changed:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: len(self.calls_to(method)) >= count), timeout
                )
        except TimeoutError:
            raise AssertionError(
                f"{method} not called {count} time(s) within {timeout}s; calls: {self.methods}"
            ) from None
        return self.calls_to(method)[count - 1]

    # ----- handlers --------------------------------------------------------------------------
    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _parse_args(request)
        headers = CIMultiDict(request.headers)
        probe = RecordedCall(method, args, headers, request.method, request.path)
        status, body, extra_headers = self._respond(method, probe)
        await self._record(
            RecordedCall(method, args, headers, request.method, request.path, status, body)
        )
        return _json_response(body, status=status, headers=extra_headers)

    async def _handle_response_url(self, request: web.Request) -> web.Response:
        args = await _parse_args(request)
        body = {"ok": True}
        call = RecordedCall(
            "response_url", args, CIMultiDict(request.headers), "POST", request.path, 200, body
        )
        await self._record(call)
        return _json_response(body)

    def _respond(
        self, method: str, call: RecordedCall
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        for failure in self._failures.get(method, []):
            if failure.remaining is None or failure.remaining > 0:
                if failure.remaining is not None:
                    failure.remaining -= 1
                return failure.status, failure.body, failure.headers
        token = call.token or call.args.get("token")
        if not token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        custom = self._answers.get(method)
        if custom is not None:
            return 200, custom(call) if callable(custom) else dict(custom), {}
        if method == "apps.connections.open":
            if not str(token).startswith("xapp-"):
                return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
            return 200, {"ok": True, "url": self.socket.issue_url(self.root_url)}, {}
        return 200, answer(self.workspace, method, call.args), {}

    async def _record(self, call: RecordedCall) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()


async def _parse_args(request: web.Request) -> dict[str, Any]:
    """Query string + form or JSON body, merged (body wins)."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        args.update({k: v for k, v in form.items() if isinstance(v, str)})
        return args
    raw = await request.read()
    if not raw:
        return args
    if request.content_type == JSON_CONTENT_TYPE:
        parsed = json.loads(raw)
        if isinstance(parsed, dict):
            args.update(parsed)
        return args
    args.update(dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True)))
    return args


def _json_response(
    body: dict[str, Any], *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        text=json.dumps(body),
        status=status,
        headers=headers,
        content_type=JSON_CONTENT_TYPE,
        charset="utf-8",
    )
