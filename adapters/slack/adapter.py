"""The Slack adapter: slack-bolt AsyncApp over HTTP (`/slack/events`) or Socket Mode.

Ack path: every request is acknowledged before the core sees it. Bolt acks Events API requests by
itself and runs our listener afterwards; the `/circle` command and button listeners call `ack()`
first. Listeners only queue the raw body on the `Handoff` (no translation before the ack), whose
single worker translates, enriches (user names, admin flags, channel names: cached lookups), and
hands events to the core in order, retrying while the database is down; events queued one after
another are handed over as one batch (`Engine.handle_batch`, one transaction). Redeliveries
(`X-Slack-Retry-Num`, Socket Mode retries) carry the same ids, so the core inbox handles each
event once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import Directory
from adapters.slack.errors import calling
from adapters.slack.execute import SlackExecutor
from adapters.slack.handoff import Batched, Handoff
from adapters.slack.home import Dashboard, home_view, load_dashboard
from adapters.slack.interactive import shape_problem, translate_action, translate_command
from adapters.slack.translate import (
    HomeOpened,
    SlackPayloadError,
    community_of,
    home_opened,
    translate_event,
)
from bot.actions import Action, ActionResult
from bot.adapter import AdapterError, Capabilities, EventSink
from bot.clock import Clock, SystemClock
from bot.engine import Engine
from bot.events import Event, MessagePosted
from bot.settings import ProcessSettings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
_ANY = re.compile(r".*")


class SlackAdapter:
    """Slack I/O: events, `/circle`, buttons and App Home in; core actions out."""

    platform = "slack"

    def __init__(
        self,
        *,
        bot_token: str,
        signing_secret: str | None = None,
        app_token: str | None = None,
        user_token: str | None = None,
        api_url: str | None = None,
        http_app: web.Application | None = None,
        engine: Engine | None = None,
        clock: Clock | None = None,
        handoff: Handoff | None = None,
    ) -> None:
        if app_token is None and not signing_secret:
            raise ValueError(
                "Slack HTTP mode needs CIRCLEBOT_SLACK_SIGNING_SECRET "
                "(or set CIRCLEBOT_SLACK_APP_TOKEN for Socket Mode)"
            )
        base_url = api_url or AsyncWebClient.BASE_URL
        # Only connection errors are retried here; 429s and 5xx go back to the outbox.
        retries: list[AsyncRetryHandler] = [AsyncConnectionErrorRetryHandler(max_retry_count=1)]
        self.client = AsyncWebClient(token=bot_token, base_url=base_url, retry_handlers=retries)
        user_client = (
            AsyncWebClient(token=user_token, base_url=base_url, retry_handlers=retries)
            if user_token
            else None
        )
        self.capabilities = Capabilities(
            threads=True,
            reactions=True,
            buttons=True,
            ephemeral=True,
            hide=user_token is not None,
            forum_tags=False,
            direct_messages=True,
            rich_cards=True,
        )
        self.signing_secret = signing_secret or ""
        self.app_token = app_token
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.directory = Directory(self.client)
        self.executor = SlackExecutor(
            client=self.client, directory=self.directory, user_client=user_client
        )
        self.handoff = handoff or Handoff()
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.signing_secret,
            request_verification_enabled=app_token is None,
            # Middleware for Slack features circlebot does not use (workflow custom functions,
            # AI assistant threads); each costs every request on the ack path.
            attaching_function_token_enabled=False,
            attaching_conversation_kwargs_enabled=False,
        )
        self.app.event(_ANY)(self._on_event)
        self.app.command(_ANY)(self._on_command)
        self.app.action(_ANY)(self._on_action)
        self.app.view(_ANY)(self._ack_only)
        self._sink: EventSink | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._stopped = asyncio.Event()
        if http_app is not None and app_token is None:
            http_app.router.add_post(EVENTS_PATH, self.handle_http)

    @classmethod
    def from_settings(cls, settings: ProcessSettings, *, http_app: web.Application) -> SlackAdapter:
        """Build from `CIRCLEBOT_SLACK_*`; HTTP mode mounts `/slack/events` on `http_app`."""
        if settings.slack_bot_token is None:
            raise ValueError("CIRCLEBOT_SLACK_BOT_TOKEN is not set")
        app_token = settings.slack_app_token
        secret = settings.slack_signing_secret
        user_token = settings.slack_user_token
        return cls(
            bot_token=settings.slack_bot_token.get_secret_value(),
            signing_secret=secret.get_secret_value() if secret else None,
            app_token=app_token.get_secret_value() if app_token else None,
            user_token=user_token.get_secret_value() if user_token else None,
            api_url=settings.slack_api_url,
            http_app=http_app,
        )

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @property
    def ready(self) -> bool:
        """For /readyz: started and not stopping; in Socket Mode, the websocket is open."""
        if self._sink is None or self._stopped.is_set():
            return False
        if self.app_token is None:
            return True
        client = self._socket.client if self._socket is not None else None
        session = getattr(client, "current_session", None)
        return bool(client and not client.closed and session is not None and not session.closed)

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        """Deliver events to `sink` until `stop()`; connects the websocket in Socket Mode."""
        self._sink = sink
        self._stopped.clear()
        if self.engine is None and isinstance(getattr(sink, "__self__", None), Engine):
            self.engine = sink.__self__  # type: ignore[attr-defined]
        self.handoff.start()
        await self._register_workspace()
        if self.app_token is not None:
            self._socket = AsyncSocketModeHandler(self.app, app_token=self.app_token)
            await self._socket.connect_async()
            log.info("slack: connected in Socket Mode")
        else:
            log.info("slack: serving HTTP requests at %s", EVENTS_PATH)
        await self._stopped.wait()

    async def stop(self) -> None:
        """Close the websocket, let queued requests reach the core, stop."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.handoff.stop()
        self._stopped.set()

    async def _register_workspace(self) -> None:
        await self.directory.workspace()
        team = self.directory.team
        if team is not None and self.engine is not None:
            try:
                await self.engine.register_community(community_of(team[0]), team[1])
            except Exception as exc:  # the database may be down at start; events retry later
                log.warning("cannot register the Slack workspace yet: %s", exc)

    # ----- HTTP mode ---------------------------------------------------------------------------

    async def handle_http(self, request: web.Request) -> web.Response:
        """`POST /slack/events`: 400 for malformed bodies, 503 when full, else bolt (401 etc.)."""
        handoff = self.handoff
        if not handoff.has_room():
            return web.json_response({"error": "busy, retry later"}, status=503)
        handoff.in_flight += 1  # `handoff.acking()` without a generator per request
        started = handoff.clock()
        try:
            return await self._handle_http(request)
        finally:
            handoff.acked(started)

    async def _handle_http(self, request: web.Request) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, AttributeError, TypeError):
            raw = (await request.read()).decode("utf-8", "replace")
            return self._malformed(request, raw, "unparseable body")
        problem = shape_problem(bolt_request.body)
        if problem is not None:
            return self._malformed(request, bolt_request.raw_body, problem)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    def _malformed(self, request: web.Request, body: str, problem: str) -> web.Response:
        verifier = SignatureVerifier(self.signing_secret)
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.json_response({"error": "invalid request"}, status=401)
        log.warning("slack: rejected a signed but malformed request: %s", problem)
        return web.json_response({"error": f"malformed request: {problem}"}, status=400)

    # ----- listeners (run after the ack) -----------------------------------------------------

    async def _on_event(self, request: AsyncBoltRequest, body: dict[str, Any]) -> None:
        # The backlog keeps the raw JSON text (not tracked by the garbage collector) rather than
        # the parsed dict (~30 tracked objects per event, which made collections ~10% of the
        # ack path's CPU during a burst); the worker parses it again. Socket Mode has no raw body.
        raw = request.raw_body
        self.handoff.offer(Batched(raw if raw.startswith("{") else body, self._process_events))

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self.handoff.offer(lambda: self._process_command(body))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        self.handoff.offer(lambda: self._process_action(body))

    async def _ack_only(self, ack: AsyncAck) -> None:
        await ack()

    # ----- jobs run by the hand-off worker -----------------------------------------------------

    async def _process_events(self, bodies: Sequence[str | Mapping[str, Any]]) -> None:
        """Translate and enrich event bodies in order; deliver runs of events as one batch."""
        workspace = await self.directory.workspace()
        events: list[Event] = []
        for item in bodies:
            try:
                body = json.loads(item) if isinstance(item, str) else item
                opened = home_opened(body)
                event = translate_event(body, workspace=workspace) if opened is None else None
            except (SlackPayloadError, ValueError) as exc:
                log.warning("slack: ignored an event of unexpected shape: %s", exc)
                continue
            if opened is not None:
                await self._deliver_all(events)
                events = []
                await self.publish_home(opened)
            elif event is not None:
                events.append(await self.enrich(event))
        await self._deliver_all(events)

    async def _process_command(self, body: Mapping[str, Any]) -> None:
        try:
            event = translate_command(body, now=self.clock.now())
        except SlackPayloadError as exc:
            log.warning("slack: ignored a command of unexpected shape: %s", exc)
            return
        await self._deliver(event)

    async def _process_action(self, body: Mapping[str, Any]) -> None:
        try:
            event = translate_action(body, now=self.clock.now())
        except SlackPayloadError as exc:
            log.warning("slack: ignored an interaction of unexpected shape: %s", exc)
            return
        if event is None:
            return
        await self._deliver(event)
        container = body.get("container")
        if isinstance(container, Mapping) and container.get("type") == "view":
            await self.publish_home(
                HomeOpened(community=event.community, user=event.user, event_id=event.event_id)
            )

    async def _deliver(self, event: Event) -> None:
        await self._deliver_all([await self.enrich(event)])

    async def _deliver_all(self, events: list[Event]) -> None:
        """Enriched events to the core: one `handle_batch` when the sink is `Engine.handle`."""
        sink = self._sink
        if sink is None:
            raise RuntimeError("the Slack adapter has not been started")
        if not events:
            return
        engine = getattr(sink, "__self__", None)
        if len(events) > 1 and isinstance(engine, Engine) and sink == engine.handle:
            await engine.handle_batch(events)
            return
        for event in events:
            await sink(event)

    async def enrich(self, event: Event) -> Event:
        """Add the member's name and admin flag and the channel name (cached lookups)."""
        update: dict[str, Any] = {}
        info = await self.directory.user(event.user) if event.user != "unknown" else None
        if info is not None:
            update["is_admin"] = info.is_admin
            update["user_name"] = event.user_name or info.name
        if isinstance(event, MessagePosted) and not event.is_direct:
            name = await self.directory.channel_name(event.channel)
            if name:
                update["channel_name"] = name
        return event.model_copy(update=update) if update else event

    # ----- App Home ----------------------------------------------------------------------------

    async def publish_home(self, opened: HomeOpened) -> None:
        """Build and publish `opened.user`'s Home (views.publish)."""
        info = await self.directory.user(opened.user)
        is_admin = bool(info and info.is_admin)
        now = self.clock.now()
        if self.engine is None:
            view = home_view(Dashboard(moderator=False), now=now)
        else:
            config = self.engine.config.for_community(opened.community)
            moderator = config.is_moderator(opened.user, is_admin=is_admin)
            board = await load_dashboard(
                self.engine.database.session,
                opened.community,
                user=opened.user,
                moderator=moderator,
                now=now,
            )
            view = home_view(board, now=now)
        try:
            publish = self.client.views_publish(user_id=opened.user, view=view)
            await calling("views.publish", publish)
        except AdapterError as exc:
            log.warning("slack: could not publish the App Home of %s: %s", opened.user, exc)

    # ----- actions -----------------------------------------------------------------------------

    async def execute(self, action: Action) -> ActionResult:
        """Carry out one core action (see `SlackExecutor`)."""
        return await self.executor.execute(action)
