"""Pure translation of recorded Slack payloads, and hypothesis fuzzing with hostile payloads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.slack.interactive import shape_problem, translate_action, translate_command
from adapters.slack.translate import (
    SlackPayloadError,
    Workspace,
    decode_text,
    home_opened,
    permalink,
    slack_time,
    translate_event,
)
from bot.events import (
    ButtonPressed,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    ReactionRemoved,
)
from tests.fakes import slack_payloads as p

WS = Workspace(bot_user_id="U0CIRCLEBOT", bot_id="B0CIRCLE1", url="https://circle.slack.com/")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def tr(event: dict[str, Any], **kwargs: Any) -> Any:
    return translate_event(p.event_callback(event, **kwargs), workspace=WS)


def test_top_level_message() -> None:
    raw = p.message(
        text="hi <@U0BOB00001> see <https://ex.com/a?b=1&amp;c=2|ex.com> in <#C0HELP0001|help>"
    )
    event = tr(raw)
    assert isinstance(event, MessagePosted)
    assert event.event_id == f"msg:{p.CHANNEL}:{raw['ts']}"
    assert event.community == "slack:T0CIRCLE1"
    assert event.text == "hi @U0BOB00001 see https://ex.com/a?b=1&c=2 in #help"
    assert event.mentions == ("U0BOB00001",)
    assert (event.thread, event.is_direct, event.mass_mention) == (None, False, False)
    assert event.at == slack_time(raw["ts"])
    assert (
        event.permalink
        == f"https://circle.slack.com/archives/{p.CHANNEL}/p{raw['ts'].replace('.', '')}"
    )


def test_thread_reply_and_its_permalink() -> None:
    event = tr(p.thread_reply(text="same here", thread_ts="1750000000.000001"))
    assert (event.thread, event.reply_to) == ("1750000000.000001", "1750000000.000001")
    assert event.permalink.endswith(f"?thread_ts=1750000000.000001&cid={p.CHANNEL}")


def test_direct_message_and_mass_mention() -> None:
    assert tr(p.message(text="hey", channel="D0DM000001", channel_type="im")).is_direct
    assert tr(p.message(text="<!here> free pills")).mass_mention
    assert tr(p.message(text="<!here> x")).text == "@here x"


def test_edit_delete_and_noise() -> None:
    edit = tr(p.message_changed(ts="1750000000.000002", old_text="a", new_text="b"))
    assert isinstance(edit, MessageEdited)
    assert (edit.message_id, edit.text, edit.user) == ("1750000000.000002", "b", p.USER)
    assert tr(p.message_changed(ts="1750000000.000002", old_text="same", new_text="same")) is None
    gone = tr(p.message_deleted(deleted_ts="1750000000.000003", old_text="x"))
    assert isinstance(gone, MessageDeleted)
    assert (gone.message_id, gone.user) == ("1750000000.000003", p.USER)


def test_bots_and_own_messages_are_dropped() -> None:
    assert tr(p.bot_message(text="beep")) is None
    assert tr(p.message_from_app(text="mine", bot_id="B0CIRCLE1", user="U0CIRCLEBOT")) is None
    assert tr(p.message_from_app(text="other app", bot_id="B0OTHER01", user="U0OTHERBOT")) is None
    joined = {**p.message(text="x"), "subtype": "channel_join"}
    assert tr(joined) is None


def test_members_joining() -> None:
    joined = tr(p.member_joined_channel(user="U0NEW00001"))
    assert isinstance(joined, MemberJoined)
    assert (joined.user, joined.channel) == ("U0NEW00001", p.CHANNEL)
    assert tr(p.member_joined_channel(user="U0CIRCLEBOT")) is None
    team = tr(p.team_join(user_id="U0NEW00002", name="nina"))
    assert (team.user, team.user_name, team.channel) == ("U0NEW00002", "nina", None)


def test_reactions() -> None:
    added = tr(p.reaction_added(ts="1750000000.000004", reaction="+1::skin-tone-3"))
    assert isinstance(added, ReactionAdded)
    assert (added.emoji, added.message_id, added.message_author) == (
        "+1",
        "1750000000.000004",
        "U0BOB00001",
    )
    removed = tr(p.reaction_removed(ts="1750000000.000004", reaction="white_check_mark"))
    assert isinstance(removed, ReactionRemoved) and removed.emoji == "white_check_mark"
    file_reaction = p.reaction_added(ts="1.0")
    file_reaction["item"] = {"type": "file", "file": "F1"}
    assert tr(file_reaction) is None


def test_app_mention_shares_the_message_identity() -> None:
    message = p.message(text="<@U0CIRCLEBOT> hi")
    mention = {**message, "type": "app_mention"}
    assert tr(message).event_id == tr(mention).event_id


def test_events_keep_slacks_event_id() -> None:
    body = p.event_callback(p.reaction_added(ts="1.0"), event_id="Ev0SAME0001")
    event = translate_event(body, workspace=WS)
    assert event is not None and event.event_id == "Ev0SAME0001"


def test_home_opened() -> None:
    opened = home_opened(p.event_callback(p.app_home_opened(user="U0MOD00001")))
    assert opened is not None and (opened.user, opened.community) == (
        "U0MOD00001",
        "slack:T0CIRCLE1",
    )
    assert home_opened(p.event_callback(p.app_home_opened(tab="messages"))) is None
    assert tr(p.app_home_opened()) is None


def test_slash_command() -> None:
    fields = p.slash_command(response_url="https://hooks.slack.com/commands/x", text="snooze Q3 1h")
    cmd = translate_command(fields, now=NOW)
    assert (cmd.text, cmd.user, cmd.channel) == ("snooze Q3 1h", p.USER, p.CHANNEL)
    assert cmd.reply_handle == "https://hooks.slack.com/commands/x"
    assert cmd.event_id == f"cmd:{fields['trigger_id']}"
    assert cmd.at == NOW
    escaped = {**fields, "text": "forget <@U0BOB00001|bob> in <#C0HELP0001|help>"}
    assert translate_command(escaped, now=NOW).text == "forget @U0BOB00001 in #help"


def test_button_press() -> None:
    payload = p.block_actions(
        response_url="https://hooks/x", action_id="circle:1", value="claim Q3"
    )
    press = translate_action(payload, now=NOW)
    assert isinstance(press, ButtonPressed)
    assert (press.command, press.channel, press.message_id) == (
        "claim Q3",
        p.CHANNEL,
        payload["message"]["ts"],
    )
    assert press.reply_handle == "https://hooks/x"
    assert translate_action(p.block_actions(response_url="u", action_id="else"), now=NOW) is None
    home = p.block_actions(response_url="u", action_id="circle:q0.1", value="answered Q1")
    home["container"] = {"type": "view", "view_id": "V1"}
    del home["channel"], home["response_url"]
    pressed = translate_action(home, now=NOW)
    assert pressed is not None and (pressed.channel, pressed.reply_handle) == (p.USER, None)


def test_decode_and_permalink_helpers() -> None:
    assert (
        decode_text("<mailto:a@b.c|a@b.c> &lt;3 <!subteam^S1|@helpers>")
        == "mailto:a@b.c <3 @helpers"
    )
    assert permalink(Workspace(), "C1", "1.2") is None
    assert permalink(WS, "C1", "not-a-ts") is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"team_id": "T1", "event_id": "E1"},
        {"team_id": "T1", "event_id": "E1", "event": []},
        {"team_id": 5, "event_id": "E1", "event": {"type": "message"}},
        {"team_id": "T1", "event_id": "E1", "event": {"type": "message", "channel": "C1"}},
        {
            "team_id": "T1",
            "event_id": "E1",
            "event": {"type": "message", "channel": "C1", "ts": "x", "user": "U1"},
        },
        {
            "team_id": "T1",
            "event_id": "E1",
            "event": {"type": "reaction_added", "user": "U1", "item": 3},
        },
    ],
)
def test_wrong_shapes_raise_slack_payload_error(body: dict[str, Any]) -> None:
    with pytest.raises(SlackPayloadError):
        translate_event(body, workspace=WS)


def test_shape_problem() -> None:
    assert shape_problem([1]) == "the body is not an object"
    assert shape_problem({"type": "event_callback", "event": {"type": "message"}}) is None
    assert shape_problem({"type": "block_actions", "user": {"id": "U1"}, "actions": []}) is None
    assert shape_problem({"type": "block_actions", "user": {"id": "U1"}}) is not None


# ----- hypothesis: hostile payloads never raise anything but SlackPayloadError -------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "type",
        "subtype",
        "user",
        "channel",
        "ts",
        "text",
        "thread_ts",
        "event_ts",
        "item",
        "reaction",
        "message",
        "previous_message",
        "deleted_ts",
        "files",
        "channel_type",
        "bot_id",
        "tab",
        "id",
    ]
)
TYPES = st.sampled_from(
    [
        "message",
        "app_mention",
        "member_joined_channel",
        "team_join",
        "reaction_added",
        "reaction_removed",
        "app_home_opened",
        "message_changed",
        "message_deleted",
        "x",
    ]
)
EVENTS = st.builds(
    lambda kind, extra: {"type": kind, **extra},
    TYPES | JSON,
    st.dictionaries(KEYS, JSON | st.text(max_size=12) | st.just("1750000000.000100"), max_size=8),
)


def _mutate(base: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**base, key: value}


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    event=EVENTS,
    team=JSON | st.just("T1"),
    event_id=JSON | st.just("Ev1"),
    subtype=st.sampled_from(
        [None, "message_changed", "message_deleted", "thread_broadcast", "bot_message"]
    ),
)
def test_fuzzed_events_only_raise_slack_payload_error(
    event: Any, team: Any, event_id: Any, subtype: str | None
) -> None:
    if isinstance(event, dict) and subtype:
        event = _mutate(event, "subtype", subtype)
    body = {"team_id": team, "event_id": event_id, "event": event}
    for call in (lambda: translate_event(body, workspace=WS), lambda: home_opened(body)):
        try:
            call()
        except SlackPayloadError:
            pass


@settings(max_examples=100, deadline=None)
@given(
    payload=st.dictionaries(
        st.sampled_from(
            [
                "type",
                "actions",
                "user",
                "team",
                "container",
                "channel",
                "trigger_id",
                "response_url",
                "team_id",
                "user_id",
                "channel_id",
                "text",
            ]
        ),
        JSON | st.just("block_actions") | st.just([{"action_id": "circle:0", "value": "x"}]),
        max_size=8,
    )
)
def test_fuzzed_commands_and_actions_only_raise_slack_payload_error(
    payload: dict[str, Any],
) -> None:
    for call in (
        lambda: translate_action(payload, now=NOW),
        lambda: translate_command(payload, now=NOW),
        lambda: shape_problem(payload),
    ):
        try:
            call()
        except SlackPayloadError:
            pass


@given(st.text(max_size=200))
def test_decode_text_never_raises(text: str) -> None:
    assert isinstance(decode_text(text), str)
