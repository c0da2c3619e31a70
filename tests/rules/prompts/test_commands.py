"""Prompt commands, members' suggestions with votes, and engagement tracking."""

from __future__ import annotations

from datetime import timedelta

from bot.actions import DirectMessage, Ephemeral, Post
from rules.prompts import store
from tests.harness import Harness
from tests.rules.prompts.helpers import message_for, prompt_posts, prompts_harness, question_of

LIBRARY = (
    "prompts:\n  library:\n"
    "    - {text: 'Library question one?', tone: any}\n"
    "    - {text: 'Library question two?', tone: any}\n"
)


def _only_text(actions: list[object]) -> str:
    replies = [a for a in actions if isinstance(a, Ephemeral)]
    assert len(replies) == 1
    return replies[0].text


async def _suggest(h: Harness, user: str, text: str) -> Post:
    actions = await h.command(user, f"suggest {text}")
    return next(a for a in actions if isinstance(a, Post))


async def test_suggestions_with_most_votes_go_first_once_approved(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url, LIBRARY)
    few = await _suggest(h, "alice", "What made you smile today?")
    many = await _suggest(h, "bob", "What would you teach in five minutes?")
    assert few.tag == "suggestion:1" and "React to this message to vote" in few.text
    assert many.tag == "suggestion:2"
    few_msg = message_for("bot1", channel="general")  # recording adapter ids, in send order
    many_msg = message_for("bot2", channel="general")
    for voter in ("carol", "dan", "erin"):
        await h.react(voter, many_msg, "+1")
    await h.react("carol", few_msg, "+1")
    await h.react("carol", few_msg, "heart")  # one member, one vote
    await h.react("alice", few_msg, "+1")  # the author's own reaction is not a vote
    listing = _only_text(await h.command("mod", "prompt list"))
    assert listing.index("S2 (3 votes)") < listing.index("S1 (1 vote)")

    assert "Approved S1" in _only_text(await h.command("mod", "prompt approve S1"))
    await h.command("mod", "prompt approve s2 serious")
    texts = []
    for _ in range(3):
        texts.extend(question_of(p) for p in prompt_posts(await h.command("mod", "prompt now")))
    assert texts == [
        "What would you teach in five minutes?",
        "What made you smile today?",
        "Library question one?",
    ]
    await h.close()


async def test_suggest_tells_moderators_and_thanks_the_member(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url, LIBRARY)
    actions = await h.command("alice", "suggest 'What is your favourite shortcut?'")
    assert "S1" in _only_text(actions)
    notices = [a for a in actions if isinstance(a, DirectMessage) and a.user == "mod"]
    assert [b.command for b in notices[0].buttons] == ["prompt approve S1", "prompt reject S1"]
    pressed = await h.press("mod", "prompt reject S1 too close to last week's")
    assert "Rejected S1" in _only_text(pressed)
    dm = next(a for a in pressed if isinstance(a, DirectMessage))
    assert dm.user == "alice" and "too close to last week's" in dm.text
    again = await h.command("mod", "prompt approve S1")
    assert "already rejected" in _only_text(again)
    await h.close()


async def test_prompt_commands_are_for_moderators(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url, LIBRARY)
    assert "for the circle's moderators" in _only_text(await h.command("alice", "prompt now"))
    assert prompt_posts(h.sent) == []
    await h.close()


async def test_add_skip_list_and_now(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url, LIBRARY)
    added = _only_text(await h.command("mod", "prompt add light tags=fun What is your hobby?"))
    assert added.startswith("Added P3 [light]")
    assert "already in the library" in _only_text(
        await h.command("mod", "prompt add what is your  HOBBY?")
    )
    skipped = _only_text(await h.command("mod", "prompt skip"))
    assert "Skipped P1" in skipped  # next slot is Tuesday (serious): P1 fits, P3 does not
    listing = _only_text(await h.command("mod", "prompt list"))
    assert "next slot in #general is serious" in listing
    assert listing.index("P2") < listing.index("P1")  # the skipped one waits for the next round
    posted = prompt_posts(await h.command("mod", "prompt now random"))
    assert [(p.channel, question_of(p)) for p in posted] == [("random", "Library question two?")]
    assert "usage" in _only_text(await h.command("mod", "prompt frobnicate"))
    await h.close()


async def test_engagement_counts_replies_participants_and_first_reply(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url, LIBRARY)
    start = h.clock.now()
    await h.command("mod", "prompt now")
    root = prompt_posts(h.sent)[0]
    message_id = "bot1"
    await h.advance("20m")
    await h.message("alice", "Mine is this", thread=message_id)
    await h.message("bob", "Same here", thread=message_id)
    await h.message("alice", "and one more thing", thread=message_id)
    await h.message("carol", "replying directly", reply_to=message_id)
    await h.message("helper", "bots do not count", thread=message_id, is_bot=True)
    await h.message("dan", "elsewhere", thread="another")
    async with h.engine.database.session() as session:
        rows = await store.prompt_engagement(
            session, h.community, since=start, until=start + timedelta(days=1)
        )
    assert len(rows) == 1
    row = rows[0]
    assert (row.replies, row.participants) == (4, 3)
    assert row.first_reply_after == timedelta(minutes=20)
    assert row.channel == root.channel and row.text == "Library question one?"
    await h.close()
