"""The fake Slack Web API through slack_sdk's AsyncWebClient: answers, recording, failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import slack_payloads as p
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_logging import SlackErrorGuard, fail_on_slack_errors
from tests.fakes.slack_requests import event_request, post, serve

BOT_TOKEN = "xoxb-circle-bot-token"
C = p.CHANNEL
U = p.USER


@pytest.fixture(autouse=True)
def no_slack_errors() -> Iterator[SlackErrorGuard]:
    with fail_on_slack_errors() as guard:
        yield guard


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        yield fake


@pytest.fixture
def client(api: FakeSlackAPI) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url)


VIEW = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Suggest"}, "blocks": []}

# (client method, kwargs, key that must be in the answer)
CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("auth_test", {}, "bot_id"),
    ("chat_postMessage", {"channel": C, "text": "hi"}, "ts"),
    ("chat_postEphemeral", {"channel": C, "user": U, "text": "psst"}, "message_ts"),
    ("chat_update", {"channel": C, "ts": "1.000001", "text": "edited"}, "message"),
    ("chat_delete", {"channel": C, "ts": "1.000001"}, "ts"),
    ("chat_getPermalink", {"channel": C, "message_ts": "1.000001"}, "permalink"),
    ("conversations_open", {"users": U}, "channel"),
    ("conversations_info", {"channel": C}, "channel"),
    ("conversations_members", {"channel": C}, "members"),
    ("users_info", {"user": U}, "user"),
    ("reactions_add", {"channel": C, "timestamp": "1.000001", "name": "eyes"}, "ok"),
    ("views_publish", {"user_id": U, "view": VIEW}, "view"),
    ("views_open", {"trigger_id": "1.2.abc", "view": MODAL}, "view"),
]


@pytest.mark.parametrize(("name", "kwargs", "key"), CALLS, ids=[c[0] for c in CALLS])
async def test_listed_methods_answer_ok(
    api: FakeSlackAPI, client: AsyncWebClient, name: str, kwargs: dict[str, Any], key: str
) -> None:
    response = await getattr(client, name)(**kwargs)
    assert response["ok"] is True
    assert key in response.data
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert len(api.calls) == 1
    assert api.calls[0].token == BOT_TOKEN


async def test_answers_carry_workspace_identity_and_state(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    api.workspace.add_channel(C, name="general", members=[U, "U0BOB00001"])
    api.workspace.add_user(U, name="alice", tz="Europe/Paris")
    auth = await client.auth_test()
    dm_1 = await client.conversations_open(users=U)
    dm_2 = await client.conversations_open(users=U)
    members = await client.conversations_members(channel=C)
    user = await client.users_info(user=U)
    posted = await client.chat_postMessage(channel=C, text="one", thread_ts="1.000001")
    link = await client.chat_getPermalink(channel=C, message_ts="1750000000.000123")

    assert (auth["team_id"], auth["user_id"]) == (api.workspace.team_id, api.workspace.bot_user_id)
    assert dm_1["channel"]["id"] == dm_2["channel"]["id"]
    assert dm_1["channel"]["id"].startswith("D")
    assert members["members"] == [U, "U0BOB00001"]
    assert user["user"]["tz"] == "Europe/Paris"
    assert posted["message"]["thread_ts"] == "1.000001"
    assert link["permalink"].endswith(f"/archives/{C}/p1750000000000123")


async def test_json_form_and_query_bodies_are_parsed_alike(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    blocks = [{"type": "divider"}]
    await client.chat_postMessage(channel=C, text="json", blocks=blocks)  # JSON body
    await client.api_call("chat.postMessage", data={"channel": C, "text": "form"})  # form body
    await client.reactions_add(channel=C, timestamp="1.000001", name="eyes")  # query string
    as_json, as_form = api.calls_to("chat.postMessage")
    assert as_json.args["blocks"] == blocks
    assert as_form.args == {"channel": C, "text": "form"}
    assert api.calls_to("reactions.add")[0].args["name"] == "eyes"
    assert as_json.headers["authorization"] == f"Bearer {BOT_TOKEN}"


async def test_configured_errors_then_success(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    api.fail_with("chat.delete", "cant_delete_message")
    api.fail_with("chat.postMessage", "not_in_channel", times=2)
    errors = []
    for _ in range(3):
        try:
            await client.chat_postMessage(channel=C, text="hi")
        except SlackApiError as error:
            errors.append(error.response["error"])
    with pytest.raises(SlackApiError) as deleted:
        await client.chat_delete(channel=C, ts="1.000001")
    assert errors == ["not_in_channel", "not_in_channel"]
    assert deleted.value.response["error"] == "cant_delete_message"
    assert (await client.chat_delete(channel=C, ts="1.000001"))["ok"] is True


@pytest.mark.parametrize(
    ("token", "method", "error"),
    [
        (BOT_TOKEN, "no.such.method", "unknown_method"),
        (None, "auth.test", "not_authed"),
        (BOT_TOKEN, "apps.connections.open", "not_allowed_token_type"),
    ],
)
async def test_realistic_error_answers(
    api: FakeSlackAPI, token: str | None, method: str, error: str
) -> None:
    client = AsyncWebClient(token=token, base_url=api.base_url)
    with pytest.raises(SlackApiError) as raised:
        await client.api_call(method)
    assert raised.value.response["error"] == error


async def test_reactions_keep_state(api: FakeSlackAPI, client: AsyncWebClient) -> None:
    target = {"channel": C, "timestamp": "1.000001", "name": "white_check_mark"}
    await client.reactions_add(**target)
    with pytest.raises(SlackApiError, match="already_reacted"):
        await client.reactions_add(**target)
    await client.reactions_remove(**target)
    with pytest.raises(SlackApiError, match="no_reaction"):
        await client.reactions_remove(**target)


async def test_answer_with_overrides_and_views_decode(
    api: FakeSlackAPI, client: AsyncWebClient
) -> None:
    api.answer_with("conversations.members", {"ok": True, "members": ["U1"]})
    api.answer_with("users.info", lambda call: {"ok": True, "user": {"id": call.args["user"]}})
    assert (await client.conversations_members(channel=C))["members"] == ["U1"]
    assert (await client.users_info(user="U9"))["user"] == {"id": "U9"}
    await client.views_publish(user_id=U, view=VIEW)
    assert api.calls_to("views.publish")[0].json_arg("view") == VIEW


async def test_wait_for_times_out_with_the_calls_seen(api: FakeSlackAPI) -> None:
    with pytest.raises(AssertionError, match=r"chat\.update not called"):
        await api.wait_for("chat.update", timeout=0.05)


async def test_error_guard_catches_listener_exceptions(
    api: FakeSlackAPI, no_slack_errors: SlackErrorGuard
) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url), signing_secret="s"
    )

    @app.event("message")
    async def explode() -> None:
        raise RuntimeError("listener exploded")

    no_slack_errors.allow("listener exploded")
    async with serve(app.web_app()) as url:
        await post(url, event_request(p.message(text="hi"), signing_secret="s"))
        for _ in range(200):
            if no_slack_errors.records:
                break
            await asyncio.sleep(0.01)
    assert [r.name for r in no_slack_errors.records] == ["slack_bolt.AsyncApp"]
    assert no_slack_errors.unexpected == []


async def test_recorded_payloads_reach_matching_bolt_listeners(api: FakeSlackAPI) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url), signing_secret="s"
    )
    seen: list[str] = []

    async def record(event: dict[str, Any]) -> None:
        seen.append(f"{event['type']}:{event.get('subtype', '')}")

    kinds = ["message", "member_joined_channel", "team_join", "reaction_added"]
    kinds += ["reaction_removed", "app_mention", "app_home_opened"]
    for kind in kinds:
        app.event(kind)(record)
    ts = p.next_ts()
    own = p.message_from_app(text="mine", bot_id="B0CIRCLE1", user="U0CIRCLEBOT")
    events = [
        own,  # bolt drops the app's own messages (ids from auth.test)
        p.message(text="a?"),
        p.thread_reply(text="b", thread_ts=ts),
        p.message_changed(ts=ts, old_text="a", new_text="b"),
        p.message_deleted(deleted_ts=ts),
        p.bot_message(text="c"),
        p.member_joined_channel(inviter="U0BOB00001"),
        p.team_join(),
        p.reaction_added(ts=ts),
        p.reaction_removed(ts=ts),
        p.app_mention(text="<@U0CIRCLEBOT> hi"),
        p.app_home_opened(),
    ]
    bodies = [p.event_callback(e) for e in events]
    async with serve(app.web_app()) as url:
        statuses = [(await post(url, event_request(b, signing_secret="s"))).status for b in bodies]
        for _ in range(500):
            if len(seen) >= len(events) - 1:
                break
            await asyncio.sleep(0.01)
    assert statuses == [200] * len(events)
    assert len({b["event_id"] for b in bodies}) == len(bodies)
    assert sorted(seen) == sorted(
        ["message:"] * 2
        + ["message:message_changed", "message:message_deleted", "message:bot_message"]
        + [f"{k}:" for k in kinds[1:]]
    )
    assert p.slash_command(response_url="http://x")["command"] == "/circle"
