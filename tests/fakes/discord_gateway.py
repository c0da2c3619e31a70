"""Fake Discord gateway (v10, JSON, optional zlib-stream): sessions, dispatch, RESUME replay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import Payload
from tests.fakes.discord_world import DiscordWorld

_log = logging.getLogger("tests.fakes.discord_gateway")

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, RESUME, RECONNECT = 0, 1, 2, 3, 6, 7
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11


@dataclass
class GatewayConnection:
    """One websocket connection: how it was opened and what the client sent on it."""

    query: dict[str, str]
    ws: web.WebSocketResponse
    compressor: Any | None = None
    received: list[Payload] = field(default_factory=list)
    sent: list[Payload] = field(default_factory=list)
    heartbeats: int = 0

    @property
    def sent_events(self) -> list[str]:
        """Names of the dispatch events sent on this connection, in order."""
        return [str(p["t"]) for p in self.sent if p.get("op") == DISPATCH]

    async def send(self, payload: Payload) -> None:
        """Send one gateway payload, zlib-stream compressed if the client asked for it."""
        self.sent.append(payload)
        text = json.dumps(payload)
        if self.compressor is None:
            await self.ws.send_str(text)
            return
        data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        await self.ws.send_bytes(data)


@dataclass
class GatewaySession:
    """A gateway session: identify data, shard, every dispatched event by sequence number."""

    session_id: str
    shard: list[int] | None
    identify: Payload
    events: list[Payload] = field(default_factory=list)
    connection: GatewayConnection | None = None
    resumes: int = 0

    @property
    def seq(self) -> int:
        """The last sequence number used in this session."""
        return len(self.events)

    @property
    def shard_id(self) -> int:
        """The shard id (0 when the client did not shard)."""
        return self.shard[0] if self.shard else 0


class FakeGateway:
    """The websocket half of the fake: HELLO, IDENTIFY/READY/GUILD_CREATE, RESUME, dispatch."""

    def __init__(self, world: DiscordWorld, *, heartbeat_interval_ms: int = 41250) -> None:
        self.world = world
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.url = ""  # set by the server once it listens
        self.sessions: list[GatewaySession] = []
        self.connections: list[GatewayConnection] = []
        self.identifies: list[Payload] = []
        self.resumes: list[Payload] = []
        self.presences: list[Payload] = []
        self.resume_overlap = 0
        """Replay this many already-delivered events on RESUME (Discord delivers at least once)."""
        self._changed = asyncio.Condition()

    # ----- test-facing API -----------------------------------------------------------------

    @property
    def identify_count(self) -> int:
        """How many IDENTIFY payloads were received."""
        return len(self.identifies)

    @property
    def resume_count(self) -> int:
        """How many RESUME payloads were accepted."""
        return len(self.resumes)

    @property
    def shards_identified(self) -> list[list[int] | None]:
        """The `shard` field of each IDENTIFY in order (None when not sharded)."""
        return [i.get("shard") for i in self.identifies]

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `predicate()` holds, re-checked whenever the gateway's state changes."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_for_sessions(
        self,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until `count` sessions have identified and are connected."""
        await self.wait_until(
            lambda: sum(1 for s in self.sessions if s.connection is not None) >= count,
            timeout=timeout,
        )

    def session_for_guild(self, guild_id: int | None) -> GatewaySession:
        """The latest session whose shard owns `guild_id` (shard 0 for DMs, i.e. None)."""
        for session in reversed(self.sessions):
            if session.shard is None:
                return session
            wanted = 0 if guild_id is None else (guild_id >> 22) % session.shard[1]
            if session.shard[0] == wanted:
                return session
        raise LookupError("no gateway session; did the client identify?")

    async def dispatch(
        self, event: str, data: Payload, *, guild_id: int | None = None, deliver: bool = True
    ) -> int:
        """Send an op 0 event to the session owning `guild_id`; return its sequence number.

        With `deliver=False` (or while the client is disconnected) the event is only
        recorded, so the client receives it when it RESUMEs.
        """
        if guild_id is None and "guild_id" in data:
            guild_id = int(data["guild_id"])
        session = self.session_for_guild(guild_id)
        payload = await self._record(session, event, data)
        if deliver and session.connection is not None:
            await session.connection.send(payload)
        return int(payload["s"])

    async def request_reconnect(self, session: GatewaySession | None = None) -> None:
        """Send op 7 RECONNECT and detach the socket; later events wait for the RESUME."""
        session = session or self.session_for_guild(None)
        connection = self._detach(session)
        if connection is not None:
            await connection.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def drop_connection(
        self, session: GatewaySession | None = None, *, code: int = 4000
    ) -> None:
        """Close the session's socket with `code` (4000 is resumable) and detach it."""
        session = session or self.session_for_guild(None)
        connection = self._detach(session)
        if connection is not None:
            await connection.ws.close(code=code, message=b"fake gateway closed the socket")

    async def invalidate_session(self, session: GatewaySession | None = None) -> None:
        """Send op 9 INVALID_SESSION (not resumable): the client must IDENTIFY again."""
        session = session or self.session_for_guild(None)
        connection = self._detach(session)
        if connection is not None:
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})

    async def close_all(self) -> None:
        """Close every open socket (used on server shutdown)."""
        for connection in self.connections:
            if not connection.ws.closed:
                with contextlib.suppress(Exception):
                    await connection.ws.close(code=1001)

    # ----- websocket handler ---------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for the gateway websocket."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        query = dict(request.query)
        compressor = zlib.compressobj() if query.get("compress") == "zlib-stream" else None
        connection = GatewayConnection(query=query, ws=ws, compressor=compressor)
        self.connections.append(connection)
        hello = {"heartbeat_interval": self.heartbeat_interval_ms, "_trace": ["fake-gateway"]}
        await connection.send({"op": HELLO, "d": hello, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                connection.received.append(payload)
                await self._on_payload(connection, payload)
        finally:
            for session in self.sessions:
                if session.connection is connection:
                    session.connection = None
            await self._notify()
        return ws

    async def _on_payload(self, connection: GatewayConnection, payload: Payload) -> None:
        op, data = payload.get("op"), payload.get("d") or {}
        if op == HEARTBEAT:
            connection.heartbeats += 1
            await connection.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._on_identify(connection, data)
        elif op == RESUME:
            await self._on_resume(connection, data)
        elif op == REQUEST_MEMBERS:
            await self._on_request_members(connection, data)
        elif op == PRESENCE:
            self.presences.append(data)
        else:
            _log.debug("fake gateway ignores op %s", op)

    async def _on_identify(self, connection: GatewayConnection, data: Payload) -> None:
        if data.get("token") != self.world.token:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identifies.append(data)
        shard = data.get("shard")
        session = GatewaySession(session_id=secrets.token_hex(16), shard=shard, identify=data)
        self.sessions.append(session)
        guild_ids = [
            g for g in [self.world.guild_id] if shard is None or (g >> 22) % shard[1] == shard[0]
        ]
        ready = self.world.ready_payload(
            session_id=session.session_id,
            resume_url=self.url,
            shard=shard,
            guild_ids=guild_ids,
        )
        await connection.send(await self._record(session, "READY", ready))
        for _ in guild_ids:
            guild = await self._record(session, "GUILD_CREATE", self.world.guild_payload())
            await connection.send(guild)
        session.connection = connection
        await self._notify()

    async def _on_resume(self, connection: GatewayConnection, data: Payload) -> None:
        session = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
        if session is None or data.get("token") != self.world.token:
            await connection.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.resumes.append(data)
        session.resumes += 1
        client_seq = max(0, (data.get("seq") or 0) - self.resume_overlap)
        for event in session.events[client_seq:]:
            await connection.send(event)
        await connection.send(await self._record(session, "RESUMED", {"_trace": ["fake"]}))
        session.connection = connection
        await self._notify()

    async def _on_request_members(self, connection: GatewayConnection, data: Payload) -> None:
        session = next((s for s in self.sessions if s.connection is connection), None)
        if session is None:
            return
        chunk = {
            "guild_id": data["guild_id"],
            "members": list(self.world.members.values()),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": data.get("nonce"),
        }
        await connection.send(await self._record(session, "GUILD_MEMBERS_CHUNK", chunk))

    async def _record(self, session: GatewaySession, event: str, data: Payload) -> Payload:
        payload = {"op": DISPATCH, "t": event, "s": session.seq + 1, "d": data}
        session.events.append(payload)
        await self._notify()
        return payload

    def _detach(self, session: GatewaySession) -> GatewayConnection | None:
        connection, session.connection = session.connection, None
        return connection

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
