"""Bare slack-bolt AsyncApp against the fakes: HTTP mode, Socket Mode, 429 handling."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond, AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_payloads as p
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_logging import SlackErrorGuard, fail_on_slack_errors
from tests.fakes.slack_requests import (
    FORM,
    JSON,
    SlackRequest,
    event_request,
    interactivity_request,
    post,
    serve,
    sign,
    slash_command_request,
    url_verification_request,
)

SECRET = "circle-signing-secret"
BOT_TOKEN = "xoxb-circle-bot-token"
APP_TOKEN = "xapp-1-A0CIRCLE1-circle-app-token"


@pytest.fixture(autouse=True)
def no_slack_errors() -> Iterator[SlackErrorGuard]:
    with fail_on_slack_errors() as guard:
        yield guard


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


def make_app(api: FakeSlackAPI, **client_kwargs: Any) -> AsyncApp:
    """Token only on the client: passing `token=` too makes bolt log a warning and ignore it."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url, **client_kwargs)
    return AsyncApp(client=client, signing_secret=SECRET)


# ----- HTTP mode through bolt's own aiohttp server ----------------------------------------------


async def test_signed_event_reaches_listener_after_lazy_auth_test(api: FakeSlackAPI) -> None:
    app = make_app(api)
    retry_headers: list[Any] = []

    @app.event("message")
    async def on_message(event: dict[str, Any], say: AsyncSay, request: AsyncBoltRequest) -> None:
        retry_headers.append(request.headers.get("x-slack-retry-num"))
        await say(text=f"seen: {event['text']}", thread_ts=event["ts"])

    first = p.message(text="how do I reset my password?")
    async with serve(app.web_app()) as url:
        resp = await post(url, event_request(first, signing_secret=SECRET))
        reply = await api.wait_for("chat.postMessage")
        retried = event_request(p.message(text="again"), signing_secret=SECRET, retry_num=1)
        assert (await post(url, retried)).status == 200
        await api.wait_for("chat.postMessage", count=2)

    assert resp.status == 200
    assert resp.body == ""
    assert reply.args == {
        "channel": p.CHANNEL,
        "text": f"seen: {first['text']}",
        "thread_ts": first["ts"],
        "team_id": api.workspace.team_id,  # bolt's per-request client adds it
    }
    assert reply.token == BOT_TOKEN
    assert reply.response["message"]["bot_id"] == api.workspace.bot_id
    assert api.methods == ["auth.test", "chat.postMessage", "chat.postMessage"]
    assert retry_headers == [None, ["1"]]


async def test_url_verification_is_answered_without_any_api_call(api: FakeSlackAPI) -> None:
    app = make_app(api)
    async with serve(app.web_app()) as url:
        resp = await post(url, url_verification_request("c-123", signing_secret=SECRET))
    assert (resp.status, json.loads(resp.body)) == (200, {"challenge": "c-123"})
    assert api.calls == []


async def test_slash_command_is_acked_and_respond_and_say_work(api: FakeSlackAPI) -> None:
    app = make_app(api)

    @app.command("/circle")
    async def circle(ack: AsyncAck, respond: AsyncRespond, say: AsyncSay) -> None:
        await ack(text="Looking for unanswered questions")
        await respond(text="2 questions wait for an answer", response_type="ephemeral")
        await say(text="Anyone can help with these?")

    fields = p.slash_command(response_url=api.response_url("commands"))
    async with serve(app.web_app()) as url:
        resp = await post(url, slash_command_request(fields, signing_secret=SECRET))
        responded = await api.wait_for("response_url")
        said = await api.wait_for("chat.postMessage")

    assert resp.status == 200
    # HTTP mode: ack(text=...) alone answers text/plain; Socket Mode wraps it as {"text": ...}
    assert (resp.content_type, resp.body) == ("text/plain", "Looking for unanswered questions")
    assert responded.path == fields["response_url"].removeprefix(api.root_url)
    assert responded.args["text"] == "2 questions wait for an answer"
    assert responded.args["response_type"] == "ephemeral"
    assert said.args["channel"] == fields["channel_id"]


async def test_block_actions_press_is_acked_and_listener_updates(api: FakeSlackAPI) -> None:
    app = make_app(api)

    @app.action("question_answered")
    async def answered(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_update(
            channel=body["channel"]["id"], ts=body["message"]["ts"], text="Answered, thanks!"
        )

    press = p.block_actions(response_url=api.response_url("actions"))
    async with serve(app.web_app()) as url:
        resp = await post(url, interactivity_request(press, signing_secret=SECRET))
        update = await api.wait_for("chat.update")

    assert (resp.status, resp.body) == (200, "")
    assert update.args["ts"] == press["message"]["ts"]
    assert update.response["ok"] is True


@pytest.mark.parametrize("variant", ["forged", "stale", "tampered", "unsigned"])
async def test_bad_signatures_get_401_and_reach_nothing(api: FakeSlackAPI, variant: str) -> None:
    app = make_app(api)
    seen: list[dict[str, Any]] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        seen.append(event)

    good = event_request(p.message(text="hi"), signing_secret=SECRET)
    bad = {
        "forged": good.forged(),
        "stale": good.stale(SECRET),
        "tampered": good.with_body(good.body.replace("hi", "buy cheap pills")),
        "unsigned": SlackRequest(body=good.body, headers={"Content-Type": JSON}),
    }[variant]
    async with serve(app.web_app()) as url:
        resp = await post(url, bad)
    assert resp.status == 401
    assert seen == []
    assert api.calls == []


async def test_meaningless_signed_body_is_404(api: FakeSlackAPI) -> None:
    app = make_app(api)
    async with serve(app.web_app()) as url:
        resp = await post(url, sign("hello=world", signing_secret=SECRET, content_type=FORM))
    assert (resp.status, json.loads(resp.body)) == (404, {"error": "unhandled request"})


async def test_stock_server_answers_500_to_unparseable_json(api: FakeSlackAPI) -> None:
    """Quirk: bolt parses the body before verifying it; aiohttp turns the error into a 500."""
    app = make_app(api)
    truncated = '{"type": "event_callback", "ev'
    async with serve(app.web_app()) as url:
        resp = await post(url, sign(truncated, signing_secret="any", content_type=JSON))
    assert resp.status == 500


async def test_guarded_route_answers_400_to_unparseable_bodies(api: FakeSlackAPI) -> None:
    """How an adapter can serve bolt so that malformed bodies get a 4xx, not a 500."""
    app = make_app(api)

    async def slack_events(request: web.Request) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, AttributeError):
            return web.json_response({"error": "malformed body"}, status=400)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", slack_events)
    bodies = [('{"type": "event_callback", "ev', JSON), ("[1, 2]", JSON), ("payload=%7Bx", FORM)]
    async with serve(web_app) as url:
        statuses = [
            (await post(url, sign(b, signing_secret=SECRET, content_type=ct))).status
            for b, ct in bodies
        ]
        ok = await post(url, url_verification_request("c-1", signing_secret=SECRET))
    assert statuses == [400, 400, 400]
    assert ok.status == 200


# ----- Socket Mode through slack_sdk's aiohttp client ------------------------------------------


async def test_socket_mode_event_is_acked_and_listener_calls_api(api: FakeSlackAPI) -> None:
    app = make_app(api)

    @app.event("app_mention")
    async def mention(event: dict[str, Any], say: AsyncSay) -> None:
        await say(text="Hello! Ask away.", thread_ts=event["ts"])

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        await api.socket.wait_connected()
        envelope_id = await api.socket.push_event(
            p.event_callback(p.app_mention(text="<@U0CIRCLEBOT> hi"))
        )
        ack = await api.socket.wait_ack(envelope_id)
        reply = await api.wait_for("chat.postMessage")
    finally:
        await handler.close_async()

    assert ack == {"envelope_id": envelope_id}
    assert api.socket.sent[0]["type"] == "hello"
    assert api.calls_to("apps.connections.open")[0].token == APP_TOKEN
    assert reply.token == BOT_TOKEN
    assert reply.args["text"] == "Hello! Ask away."


async def test_socket_mode_slash_command_ack_carries_payload(api: FakeSlackAPI) -> None:
    app = make_app(api)

    @app.command("/circle")
    async def circle(ack: AsyncAck) -> None:
        await ack(text="On it")

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        fields = p.slash_command(response_url=api.response_url())
        envelope_id = await api.socket.push_slash_command(fields)
        ack = await api.socket.wait_ack(envelope_id)
    finally:
        await handler.close_async()
    assert ack == {"envelope_id": envelope_id, "payload": {"text": "On it"}}


async def test_socket_mode_interactive_envelopes_are_acked(api: FakeSlackAPI) -> None:
    app = make_app(api)
    errors = {"prompt_text": "Please write a question, not an announcement."}

    @app.action("question_answered")
    async def answered(ack: AsyncAck) -> None:
        await ack()

    @app.view("prompt_suggestion")
    async def suggestion(ack: AsyncAck) -> None:
        await ack(response_action="errors", errors=errors)

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        press = await api.socket.push_interactive(p.block_actions(response_url=api.response_url()))
        submit = await api.socket.push_interactive(p.view_submission())
        acks = [await api.socket.wait_ack(press), await api.socket.wait_ack(submit)]
    finally:
        await handler.close_async()
    assert acks == [
        {"envelope_id": press},
        {"envelope_id": submit, "payload": {"response_action": "errors", "errors": errors}},
    ]


@pytest.mark.parametrize("how", ["refresh_requested", "dropped"])
async def test_socket_mode_client_reconnects(api: FakeSlackAPI, how: str) -> None:
    app = make_app(api)
    texts: list[str] = []

    @app.event("message")
    async def on_message(event: dict[str, Any]) -> None:
        texts.append(event["text"])

    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    try:
        await handler.connect_async()
        await api.socket.wait_connected()
        if how == "dropped":
            await api.socket.drop_connections()
        else:
            await api.socket.request_refresh()
        await api.socket.wait_connected(count=2)
        envelope_id = await api.socket.push_event(p.event_callback(p.message(text="still there?")))
        await api.socket.wait_ack(envelope_id)
    finally:
        await handler.close_async()
    assert len(api.calls_to("apps.connections.open")) == 2
    assert texts == ["still there?"]


# ----- 429 + Retry-After ----------------------------------------------------------------------


async def test_429_without_retry_handler_raises_with_retry_after(api: FakeSlackAPI) -> None:
    api.rate_limit("chat.postMessage", times=1, retry_after=30)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=p.CHANNEL, text="hi")
    response = raised.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert response.headers["Retry-After"] == "30"
    assert (await client.chat_postMessage(channel=p.CHANNEL, text="hi"))["ok"] is True


async def test_429_retried_by_rate_limit_handler_in_bolt_listener(api: FakeSlackAPI) -> None:
    """The app client's retry handlers are copied into each listener's client."""
    api.rate_limit("chat.postMessage", times=1, retry_after=0)
    app = make_app(api, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)])

    @app.event("message")
    async def on_message(say: AsyncSay) -> None:
        await say(text="welcome")

    async with serve(app.web_app()) as url:
        await post(url, event_request(p.message(text="hello"), signing_secret=SECRET))
        await api.wait_for("chat.postMessage", count=2)
    assert [c.status for c in api.calls_to("chat.postMessage")] == [429, 200]
