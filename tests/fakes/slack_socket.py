"""Fake Socket Mode websocket server, mounted on the fake Web API and handed out by
apps.connections.open."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

SOCKET_PATH = "/link/"


class FakeSocketModeServer:
    """Slack's side of Socket Mode: hello, envelopes, acks, disconnects."""

    def __init__(self, *, app_id: str) -> None:
        self.app_id = app_id
        self.tickets_issued: list[str] = []
        self.connections: list[web.WebSocketResponse] = []
        self.received: list[dict[str, Any]] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    # ----- wiring ----------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        """Serve the websocket endpoint on `app`."""
        app.router.add_get(SOCKET_PATH, self._handle)

    def issue_url(self, root_url: str) -> str:
        """A new `ws://` URL with a fresh ticket, as apps.connections.open returns."""
        ticket = f"ticket-{len(self.tickets_issued) + 1}"
        self.tickets_issued.append(ticket)
        ws_root = root_url.replace("http://", "ws://", 1)
        return f"{ws_root}{SOCKET_PATH}?ticket={ticket}&app_id={self.app_id}"

    @property
    def open_connections(self) -> list[web.WebSocketResponse]:
        """Websockets still open, oldest first."""
        return [ws for ws in self.connections if not ws.closed]

    # ----- waiting ---------------------------------------------------------------------------
    async def wait_connected(
        self,
        *,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `count` connections were made in total and one is open."""
        await self._wait(
            lambda: len(self.connections) >= count and bool(self.open_connections),
            timeout,
            f"{count} socket mode connection(s)",
        )

    async def wait_ack(
        self,
        envelope_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait for the client's ack of `envelope_id`; return it (`envelope_id`, `payload`?)."""
        await self._wait(lambda: envelope_id in self.acks, timeout, f"ack of {envelope_id}")
        return self.acks[envelope_id]

    # ----- pushing ---------------------------------------------------------------------------
    async def push(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
        envelope_id: str | None = None,
    ) -> str:
        """Send an envelope (`events_api`, `slash_commands`, `interactive`); return its id."""
        envelope_id = envelope_id or f"env-{next(self._ids):04d}-fake"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        await self.send_raw(envelope)
        return envelope_id

    async def push_event(
        self, body: dict[str, Any], *, retry_attempt: int = 0, retry_reason: str = ""
    ) -> str:
        """Send an `event_callback` body as an `events_api` envelope."""
        return await self.push(
            "events_api", body, retry_attempt=retry_attempt, retry_reason=retry_reason
        )

    async def push_slash_command(self, fields: dict[str, str]) -> str:
        """Send slash command fields as a `slash_commands` envelope."""
        return await self.push("slash_commands", fields, accepts_response_payload=True)

    async def push_interactive(self, payload: dict[str, Any]) -> str:
        """Send an interactivity payload (block_actions, view_submission) envelope."""
        accepts = payload.get("type") in ("view_submission", "block_suggestion")
        return await self.push("interactive", payload, accepts_response_payload=accepts)

    async def send_raw(
        self,
        message: dict[str, Any],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Send any JSON message on the newest open connection (waits for one)."""
        await self._wait(lambda: bool(self.open_connections), timeout, "an open connection")
        self.sent.append(message)
        await self.open_connections[-1].send_str(json.dumps(message))

    async def request_refresh(self, reason: str = "refresh_requested") -> None:
        """Send Slack's `disconnect` message; the client should reconnect by itself."""
        await self.send_raw({"type": "disconnect", "reason": reason, "debug_info": _debug()})

    async def drop_connections(self) -> None:
        """Close every open websocket abruptly (server going away)."""
        await self.close_all(code=WSCloseCode.GOING_AWAY)

    async def close_all(self, *, code: int = WSCloseCode.GOING_AWAY) -> None:
        """Close every open websocket."""
        for ws in self.open_connections:
            await ws.close(code=code, message=b"fake server closing")

    # ----- internals -------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        if request.query.get("ticket") not in self.tickets_issued:
            raise web.HTTPUnauthorized(text="invalid ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        async with self._changed:
            self.connections.append(ws)
            self._changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": len(self.open_connections),
            "debug_info": _debug(),
            "connection_info": {"app_id": self.app_id},
        }
        self.sent.append(hello)
        await ws.send_str(json.dumps(hello))
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await self._on_text(msg.data)
        async with self._changed:
            self._changed.notify_all()
        return ws

    async def _on_text(self, data: str) -> None:
        message = json.loads(data)
        async with self._changed:
            self.received.append(message)
            if isinstance(message, dict) and "envelope_id" in message:
                self.acks[str(message["envelope_id"])] = message
            self._changed.notify_all()

    async def _wait(self, predicate: Callable[[], bool], limit: float, what: str) -> None:
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(predicate), limit)
        except TimeoutError:
            raise AssertionError(f"no {what} within {limit}s") from None


def _debug() -> dict[str, Any]:
    return {"host": "applink-fake-1", "build_number": 1, "approximate_connection_time": 18060}
