"""Pure translation on recorded payloads (built by the fake's builders), and hostile fuzzing."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.discord import interaction_events as ie
from adapters.discord import translate as tr
from adapters.discord.directory import ChannelInfo, RoleInfo, StaticLookup, as_id
from tests.fakes import discord_events as ev
from tests.fakes.discord_payloads import MODERATOR_PERMISSIONS, button_row
from tests.fakes.discord_world import DiscordWorld

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WORLD = DiscordWorld()


def lookup_of(world: DiscordWorld) -> StaticLookup:
    """A StaticLookup with the fake world's channels, tags and roles."""
    channels: dict[str, ChannelInfo] = {}
    for cid, raw in world.channels.items():
        tags = {t["id"]: t["name"] for t in raw.get("available_tags", [])}
        channels[str(cid)] = ChannelInfo(
            str(cid), raw.get("name"), raw["type"], raw.get("parent_id"), tags
        )
    g = str(world.guild_id)
    roles = {(g, r["id"]): RoleInfo(r["name"], int(r["permissions"])) for r in world.roles}
    return StaticLookup(str(world.bot_id), channels, roles, {g: str(world.owner_id)})


LOOKUP = lookup_of(WORLD)
SHAPES = {
    "claim": ie.CommandShape("claim", ("question",)),
    "snooze": ie.CommandShape("snooze", ("question", "duration")),
}


def message(channel: int, author: int, content: str = "hi", **extra: Any) -> dict[str, Any]:
    return WORLD.new_message(channel_id=channel, author_id=author, content=content, **extra)


def test_message_in_a_channel() -> None:
    raw = message(WORLD.general_id, WORLD.member_id, "How do I mount a disk?")
    raw["mentions"] = [WORLD.users[WORLD.moderator_id]]
    raw["mention_everyone"] = True
    raw["attachments"] = [{"id": "1", "url": "https://cdn/x.png"}]
    event = tr.message_created(raw, LOOKUP)
    assert event is not None
    assert (event.community, event.channel, event.channel_name) == (
        f"discord:{WORLD.guild_id}",
        str(WORLD.general_id),
        "general",
    )
    assert event.mentions == (str(WORLD.moderator_id),) and event.mass_mention
    assert event.attachments == ("https://cdn/x.png",) and event.thread is None
    assert event.event_id == f"message:{raw['id']}" and not event.is_admin


def test_reply_thread_and_forum_post() -> None:
    original = message(WORLD.general_id, WORLD.member_id)
    reply = tr.message_created(
        message(WORLD.general_id, WORLD.moderator_id, reply_to=int(original["id"])), LOOKUP
    )
    assert reply is not None and reply.reply_to == original["id"]
    assert "Moderators" in reply.roles and str(WORLD.moderator_role_id) in reply.roles
    in_thread = tr.message_created(message(WORLD.text_thread_id, WORLD.member_id), LOOKUP)
    assert in_thread is not None and in_thread.thread == str(WORLD.text_thread_id)
    assert not in_thread.is_forum_post and in_thread.channel_name == "general"
    starter = message(WORLD.forum_post_id, WORLD.member_id)
    starter["id"] = str(WORLD.forum_post_id)
    post = tr.message_created(starter, LOOKUP)
    assert post is not None and post.is_forum_post and post.thread == str(WORLD.forum_post_id)
    reply_in_post = tr.message_created(message(WORLD.forum_post_id, WORLD.moderator_id), LOOKUP)
    assert reply_in_post is not None and not reply_in_post.is_forum_post


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"author": WORLD.bot}, "the bot's own"),
        ({"type": 7}, "system join message"),
        ({"webhook_id": "1"}, "webhook"),
        ({"channel_id": "x"}, "broken id"),
    ],
)
def test_messages_that_are_dropped(change: dict[str, Any], reason: str) -> None:
    raw = {**message(WORLD.general_id, WORLD.member_id), **change}
    assert tr.message_created(raw, LOOKUP) is None, reason


def test_owner_and_admin_roles_are_admins() -> None:
    owner = tr.message_created(message(WORLD.general_id, WORLD.owner_id), LOOKUP)
    assert owner is not None and owner.is_admin
    lookup = copy.deepcopy(LOOKUP)
    lookup.roles[(str(WORLD.guild_id), str(WORLD.moderator_role_id))] = RoleInfo("Admins", 1 << 3)
    admin = tr.message_created(message(WORLD.general_id, WORLD.moderator_id), lookup)
    assert admin is not None and admin.is_admin


def test_direct_messages_belong_to_the_only_guild() -> None:
    raw = {**message(WORLD.general_id, WORLD.member_id), "channel_id": "42"}
    raw.pop("guild_id")
    event = tr.message_created(raw, LOOKUP)
    assert event is not None and event.is_direct and event.permalink is None
    two_guilds = copy.deepcopy(LOOKUP)
    two_guilds.owners["99"] = "1"
    assert tr.message_created(raw, two_guilds) is None


def test_edits_need_new_content_and_deletes_need_ids() -> None:
    raw = message(WORLD.general_id, WORLD.member_id)
    assert tr.message_updated(raw, LOOKUP) is None  # no edited_timestamp: an embed unfurl
    raw["edited_timestamp"] = "2026-11-23T09:05:00+00:00"
    edit = tr.message_updated(raw, LOOKUP)
    assert edit is not None and edit.at == datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    gone = ev.message_delete(WORLD, channel_id=WORLD.text_thread_id, message_id=5)
    deleted = tr.message_deleted(gone, LOOKUP, now=NOW)
    assert deleted is not None and deleted.thread == str(WORLD.text_thread_id)


def test_reactions_with_stable_ids_per_delivery() -> None:
    raw = ev.reaction_add(
        WORLD,
        channel_id=WORLD.general_id,
        message_id=77,
        user_id=WORLD.moderator_id,
        emoji_name="✅",
    )
    added = tr.reaction_changed(raw, LOOKUP, added=True, seq=9, now=NOW)
    again = tr.reaction_changed(raw, LOOKUP, added=True, seq=9, now=NOW)
    later = tr.reaction_changed(raw, LOOKUP, added=True, seq=12, now=NOW)
    assert added is not None and again is not None and later is not None
    assert added.event_id == again.event_id != later.event_id
    custom = {**raw, "emoji": {"id": "5", "name": "party"}}
    removed = tr.reaction_changed(custom, LOOKUP, added=False, seq=10, now=NOW)
    assert removed is not None and removed.emoji == "party" and removed.kind == "reaction_removed"
    bot = {**raw, "user_id": str(WORLD.bot_id)}
    assert tr.reaction_changed(bot, LOOKUP, added=True, seq=1, now=NOW) is None


def test_members_join_modes_share_one_event_id() -> None:
    pending = {**WORLD.member_event(WORLD.pending_id)}
    assert tr.member_added(pending, LOOKUP, mode="onboarded", now=NOW) is None
    raw_join = tr.member_added(pending, LOOKUP, mode="join", now=NOW)
    done = {**pending, "pending": False}
    onboarded = tr.member_updated(done, LOOKUP, was_pending=True, mode="onboarded", now=NOW)
    assert raw_join is not None and onboarded is not None
    assert raw_join.event_id == onboarded.event_id
    assert tr.member_updated(done, LOOKUP, was_pending=False, mode="onboarded", now=NOW) is None
    assert tr.member_updated(done, LOOKUP, was_pending=True, mode="join", now=NOW) is None
    left = tr.member_removed(
        {"guild_id": str(WORLD.guild_id), "user": WORLD.users[WORLD.member_id]},
        LOOKUP,
        seq=3,
        now=NOW,
    )
    assert left is not None and left.user == str(WORLD.member_id)


def test_thread_update_tags_by_name_only_for_forum_posts() -> None:
    post = WORLD.set_thread_tags(WORLD.forum_post_id, [WORLD.solved_tag_id, 12345])
    change = tr.tags_changed(post, LOOKUP, seq=4, now=NOW)
    assert change is not None and change.tags == ("solved", "12345")
    assert change.thread == change.channel == str(WORLD.forum_post_id)
    thread = WORLD.channels[WORLD.text_thread_id]
    assert tr.tags_changed(thread, LOOKUP, seq=4, now=NOW) is None


def test_slash_command_text_in_declared_order() -> None:
    raw = ev.slash_command(
        WORLD,
        name="circle-mod",
        command_id=1,
        channel_id=WORLD.general_id,
        user_id=WORLD.moderator_id,
        subcommand="snooze",
        options={"duration": "1h", "question": "Q12"},
    )
    event = ie.command_invoked(raw, LOOKUP, shapes=SHAPES, reply_handle="h")
    assert event is not None and event.text == "snooze Q12 1h" and event.reply_handle == "h"
    assert event.event_id == f"interaction:{raw['id']}"
    assert int(raw["member"]["permissions"]) == int(MODERATOR_PERMISSIONS) and not event.is_admin
    assert ie.command_line("report", ["two words", "last part"]) == 'report "two words" last part'


def test_button_press() -> None:
    posted = message(
        WORLD.general_id,
        WORLD.bot_id,
        components=[button_row(custom_id="circle:claim 12", label="Claim")],
    )
    raw = ev.button_press(
        WORLD, custom_id="circle:claim 12", message=posted, user_id=WORLD.member_id
    )
    event = ie.button_pressed(raw, LOOKUP, reply_handle="h")
    assert event is not None and event.command == "claim 12" and event.message_id == posted["id"]
    assert ie.is_circle_interaction(raw)
    other = {**raw, "data": {"custom_id": "someone-else:1", "component_type": 2}}
    assert ie.button_pressed(other, LOOKUP, reply_handle="h") is None


# ----- hostile payloads ----------------------------------------------------------------------

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
ids = st.sampled_from(
    [
        str(WORLD.general_id),
        str(WORLD.forum_post_id),
        str(WORLD.guild_id),
        str(WORLD.bot_id),
        "0",
        "-1",
        "abc",
        "9" * 30,
        7,
        None,
    ]
)
keys = st.sampled_from(
    [
        "id",
        "channel_id",
        "guild_id",
        "author",
        "member",
        "user",
        "user_id",
        "message_id",
        "emoji",
        "type",
        "content",
        "mentions",
        "attachments",
        "message_reference",
        "edited_timestamp",
        "timestamp",
        "applied_tags",
        "parent_id",
        "pending",
        "joined_at",
        "data",
        "roles",
        "permissions",
        "options",
        "custom_id",
        "message",
        "name",
    ]
)
payloads = st.dictionaries(keys, json_values | ids, max_size=12)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(payloads, st.integers(min_value=-5, max_value=10**6) | st.none())
def test_hostile_payloads_never_crash(data: dict[str, Any], seq: int | None) -> None:
    for build in (
        lambda: tr.message_created(data, LOOKUP),
        lambda: tr.message_updated(data, LOOKUP),
        lambda: tr.message_deleted(data, LOOKUP, now=NOW),
        lambda: tr.reaction_changed(data, LOOKUP, added=True, seq=seq, now=NOW),
        lambda: tr.member_added(data, LOOKUP, mode="join", now=NOW),
        lambda: tr.member_updated(data, LOOKUP, was_pending=True, mode="onboarded", now=NOW),
        lambda: tr.member_removed(data, LOOKUP, seq=seq, now=NOW),
        lambda: tr.tags_changed(data, LOOKUP, seq=seq, now=NOW),
        lambda: ie.command_invoked(data, LOOKUP, shapes=SHAPES, reply_handle="h"),
        lambda: ie.button_pressed(data, LOOKUP, reply_handle="h"),
        lambda: ie.is_circle_interaction(data),
    ):
        result = build()
        if result is not None and not isinstance(result, bool):
            assert result.platform == "discord" and result.community.startswith("discord:")
            assert result.user != str(WORLD.bot_id)


@settings(max_examples=100, deadline=None)
@given(json_values)
def test_ids_are_digits_or_none(value: Any) -> None:
    parsed = as_id(value)
    assert parsed is None or parsed.isdigit()


RECORDED = message(WORLD.general_id, WORLD.member_id, "hello")


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4), payloads)
def test_hostile_recorded_payload_mutations(
    extra: dict[str, Any], mutation: dict[str, Any]
) -> None:
    base = copy.deepcopy(RECORDED)
    for key, value in {**extra, **mutation}.items():
        base[key] = value
    event = tr.message_created(base, LOOKUP)
    assert event is None or isinstance(event.text, str)
