"""Every core action executed against the fake Web API, and Slack errors mapped for the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from adapters.slack.adapter import SlackAdapter
from bot.actions import (
    Button,
    DirectMessage,
    Ephemeral,
    Hide,
    NotifyModerators,
    Post,
    React,
    Reply,
    Respond,
    SetTags,
)
from bot.adapter import PermanentError, TransientError
from tests.adapters.slack.stack import BOT_TOKEN, COMMUNITY, SECRET, USER_TOKEN
from tests.fakes.slack_api import FakeSlackAPI

pytestmark = pytest.mark.usefixtures("slack_error_guard")
C = COMMUNITY


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackAPI]:
    async with FakeSlackAPI() as fake:
        fake.workspace.add_channel("C0GENERAL1", name="general")
        fake.workspace.add_channel("C0MODS0001", name="mods")
        yield fake


def adapter_for(api: FakeSlackAPI, *, user_token: str | None = None) -> SlackAdapter:
    return SlackAdapter(
        bot_token=BOT_TOKEN,
        signing_secret=SECRET,
        user_token=user_token,
        api_url=api.base_url,
        http_app=web.Application(),
    )


async def test_post_resolves_channel_names_once_and_sends_blocks(api: FakeSlackAPI) -> None:
    slack = adapter_for(api)
    buttons = (
        Button(label="Claim", command="claim Q1"),
        Button(label="Done", command="answered Q1"),
    )
    result = await slack.execute(
        Post(community=C, channel="#mods", text="Q1 waits", buttons=buttons)
    )
    await slack.execute(Post(community=C, channel="mods", text="again"))
    await slack.execute(Post(community=C, channel="C0GENERAL1", text="by id"))
    posts = api.calls_to("chat.postMessage")
    assert [c.args["channel"] for c in posts] == ["C0MODS0001", "C0MODS0001", "C0GENERAL1"]
    assert len(api.calls_to("conversations.list")) == 1
    blocks = posts[0].json_arg("blocks")
    values = [e["value"] for e in blocks[-1]["elements"]]
    assert values == ["claim Q1", "answered Q1"]
    assert result.message_id == posts[0].response["ts"]
    assert result.channel == "C0MODS0001"


async def test_unknown_channel_name_is_permanent(api: FakeSlackAPI) -> None:
    with pytest.raises(PermanentError) as raised:
        await adapter_for(api).execute(Post(community=C, channel="nowhere", text="x"))
    assert raised.value.code == "channel_not_found"


async def test_reply_dm_and_ephemeral(api: FakeSlackAPI) -> None:
    slack = adapter_for(api)
    await slack.execute(Reply(community=C, channel="C0GENERAL1", message_id="1.000100", text="r"))
    await slack.execute(DirectMessage(community=C, user="U0ALICE001", text="dm"))
    await slack.execute(Ephemeral(community=C, channel="C0GENERAL1", user="U0ALICE001", text="e"))
    reply, dm = api.calls_to("chat.postMessage")
    assert reply.args["thread_ts"] == "1.000100"
    assert dm.args["channel"] == api.workspace.dms["U0ALICE001"]
    ephemeral = api.calls_to("chat.postEphemeral")[0]
    assert (ephemeral.args["channel"], ephemeral.args["user"]) == ("C0GENERAL1", "U0ALICE001")


async def test_ephemeral_to_someone_outside_the_channel_becomes_a_dm(api: FakeSlackAPI) -> None:
    api.fail_with("chat.postEphemeral", "user_not_in_channel")
    await adapter_for(api).execute(
        Ephemeral(community=C, channel="C0GENERAL1", user="U0ALICE001", text="psst")
    )
    assert api.calls_to("chat.postMessage")[0].args["text"] == "psst"


async def test_respond_uses_response_url_private_or_public(api: FakeSlackAPI) -> None:
    slack = adapter_for(api)
    url = api.response_url()
    base = {"community": C, "channel": "C0GENERAL1", "user": "U0ALICE001", "reply_handle": url}
    await slack.execute(Respond(**base, text="only you"))
    await slack.execute(Respond(**base, text="everyone", public=True))
    private, public = api.calls_to("response_url")
    assert (private.args["response_type"], public.args["response_type"]) == (
        "ephemeral",
        "in_channel",
    )
    assert private.args["text"] == "only you"


async def test_react_is_idempotent(api: FakeSlackAPI) -> None:
    slack = adapter_for(api)
    action = React(
        community=C, channel="C0GENERAL1", message_id="1.000200", emoji=":white_check_mark:"
    )
    await slack.execute(action)
    await slack.execute(action)  # already_reacted: fine
    calls = api.calls_to("reactions.add")
    assert [c.args["name"] for c in calls] == ["white_check_mark"] * 2
    assert calls[1].response["error"] == "already_reacted"


async def test_hide_with_bot_token_cannot_delete_others_messages(api: FakeSlackAPI) -> None:
    api.fail_with("chat.delete", "cant_delete_message")
    slack = adapter_for(api)
    assert slack.capabilities.hide is False
    with pytest.raises(PermanentError) as raised:
        await slack.execute(Hide(community=C, channel="C0GENERAL1", message_id="1.000300"))
    assert raised.value.code == "cannot_delete"
    assert raised.value.tell_moderators is True


async def test_hide_with_user_token_deletes(api: FakeSlackAPI) -> None:
    slack = adapter_for(api, user_token=USER_TOKEN)
    assert slack.capabilities.hide is True
    result = await slack.execute(Hide(community=C, channel="general", message_id="1.000300"))
    call = api.calls_to("chat.delete")[0]
    assert (call.token, call.args["ts"], call.args["channel"]) == (
        USER_TOKEN,
        "1.000300",
        "C0GENERAL1",
    )
    assert result.detail == "deleted"


async def test_notify_moderators_without_config_dms_workspace_admins(api: FakeSlackAPI) -> None:
    api.workspace.add_user("U0OWNER001", name="olga", is_owner=True)
    api.workspace.add_user("U0ADMIN001", name="adam", is_admin=True)
    api.workspace.add_user("U0ALICE001", name="alice")
    api.workspace.add_user("U0BOTUSER1", name="bot", is_bot=True, is_admin=True)
    await adapter_for(api).execute(NotifyModerators(community=C, text="spam held"))
    assert sorted(api.workspace.dms) == ["U0ADMIN001", "U0OWNER001"]
    assert [c.args["text"] for c in api.calls_to("chat.postMessage")] == ["spam held"] * 2


async def test_notify_moderators_with_nobody_to_tell_is_permanent_and_quiet(
    api: FakeSlackAPI,
) -> None:
    with pytest.raises(PermanentError) as raised:
        await adapter_for(api).execute(NotifyModerators(community=C, text="x"))
    assert (raised.value.code, raised.value.tell_moderators) == ("no_moderators", False)


async def test_set_tags_is_a_documented_no_op(api: FakeSlackAPI) -> None:
    result = await adapter_for(api).execute(
        SetTags(community=C, channel="C0GENERAL1", thread="1.0", add=("solved",))
    )
    assert result.detail == "slack has no forum tags"
    assert api.calls == []


@pytest.mark.parametrize(
    ("error", "code", "tell"),
    [
        ("not_in_channel", "not_in_channel", True),
        ("channel_not_found", "channel_not_found", True),
        ("is_archived", "is_archived", False),
        ("invalid_blocks", "invalid_blocks", True),
    ],
)
async def test_slack_refusals_are_permanent(
    api: FakeSlackAPI, error: str, code: str, tell: bool
) -> None:
    api.fail_with("chat.postMessage", error)
    with pytest.raises(PermanentError) as raised:
        await adapter_for(api).execute(Post(community=C, channel="C0GENERAL1", text="x"))
    assert (raised.value.code, raised.value.tell_moderators) == (code, tell)


async def test_user_not_found_on_dm_is_permanent(api: FakeSlackAPI) -> None:
    api.fail_with("conversations.open", "user_not_found")
    with pytest.raises(PermanentError) as raised:
        await adapter_for(api).execute(DirectMessage(community=C, user="U0GONE0001", text="x"))
    assert (raised.value.code, raised.value.tell_moderators) == ("user_not_found", False)


async def test_rate_limits_and_server_errors_are_transient(api: FakeSlackAPI) -> None:
    slack = adapter_for(api)
    api.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(TransientError) as limited:
        await slack.execute(Post(community=C, channel="C0GENERAL1", text="x"))
    assert limited.value.retry_after == 7
    api.fail_with("chat.postMessage", "internal_error")
    with pytest.raises(TransientError):
        await slack.execute(Post(community=C, channel="C0GENERAL1", text="x"))
    assert [c.status for c in api.calls_to("chat.postMessage")] == [429, 200]  # no silent retry


async def test_unreachable_slack_is_transient() -> None:
    slack = SlackAdapter(
        bot_token=BOT_TOKEN, signing_secret=SECRET, api_url="http://127.0.0.1:9/api/"
    )
    with pytest.raises(TransientError):
        await slack.execute(Post(community=C, channel="C0GENERAL1", text="x"))
