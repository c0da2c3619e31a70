"""Scheduled prompts: tone by weekday, no repeats until exhausted, per-channel targets."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.actions import Post
from rules.prompts.settings import DEFAULT_LIBRARY
from tests.rules.prompts.helpers import prompt_posts, prompts_harness, question_of

TONE_OF = dict(DEFAULT_LIBRARY)


async def test_default_slots_pick_tone_by_weekday(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url)  # Monday 2026-11-23 09:00 UTC
    await h.advance("7d")
    posts = prompt_posts(h.sent)
    assert [p.channel for p in posts] == ["general", "general"]
    tuesday, friday = (question_of(p) for p in posts)
    assert TONE_OF[tuesday] in {"serious", "any"}
    assert TONE_OF[friday] in {"light", "any"}
    assert TONE_OF[tuesday] == "serious"  # serious prompts are used before "any" ones tie
    await h.close()


async def test_tone_follows_the_community_timezone(sqlite_url: str) -> None:
    # 23:30 UTC on Thursday is already Friday in Tokyo: a light prompt.
    config = (
        "prompts:\n  schedule: ['fri 08:30']\n  library:\n"
        "    - {text: 'A serious matter?', tone: serious}\n"
        "    - {text: 'A light matter?', tone: light}\n"
    )
    h = await prompts_harness(sqlite_url, config, timezone="Asia/Tokyo")
    await h.advance("4d")
    posts = prompt_posts(h.sent)
    assert [question_of(p) for p in posts] == ["A light matter?"]
    assert h.clock.now() > datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    await h.close()


async def test_no_repeats_until_the_library_is_exhausted(sqlite_url: str) -> None:
    config = (
        "prompts:\n  schedule: ['daily 10:00']\n  tones: {mon: any, tue: any, wed: any,"
        " thu: any, fri: any, sat: any, sun: any}\n  library:\n"
        "    - {text: 'First open question?'}\n"
        "    - {text: 'Second open question?', tone: serious}\n"
        "    - {text: 'Third open question?', tone: light}\n"
    )
    h = await prompts_harness(sqlite_url, config)
    await h.advance("6d")
    asked = [question_of(p) for p in prompt_posts(h.sent)]
    assert len(asked) == 6
    assert len(set(asked[:3])) == 3 and len(set(asked[3:])) == 3
    assert asked[:3] == asked[3:]  # the same order again once every prompt was used
    await h.close()


async def test_per_channel_targets_with_their_own_slots_and_tags(sqlite_url: str) -> None:
    config = (
        "prompts:\n  targets:\n    - {channel: general}\n"
        "    - {channel: design, schedule: ['wed 11:00'], tags: [design]}\n"
        "  library:\n"
        "    - {text: 'What did you ship this week?', tone: any}\n"
        "    - {text: 'Which colour palette inspires you?', tone: any, tags: [design]}\n"
    )
    h = await prompts_harness(sqlite_url, config)
    await h.advance("7d")
    posted = [(p.channel, question_of(p)) for p in prompt_posts(h.sent)]
    assert ("design", "Which colour palette inspires you?") in posted
    assert [c for c, _ in posted] == ["general", "design", "general"]  # tue, wed, fri
    assert posted[0] == ("general", "What did you ship this week?")
    await h.close()


async def test_channel_override_of_tones(sqlite_url: str) -> None:
    config = (
        "prompts:\n  targets: [{channel: random}]\n  schedule: ['tue 10:00']\n  library:\n"
        "    - {text: 'Serious one?', tone: serious}\n    - {text: 'Light one?', tone: light}\n"
        "channels:\n  random:\n    prompts:\n      tones: {tue: light}\n"
    )
    h = await prompts_harness(sqlite_url, config)
    await h.advance("2d")
    assert [question_of(p) for p in prompt_posts(h.sent)] == ["Light one?"]
    await h.close()


async def test_prompt_is_an_open_question_inviting_thread_replies(sqlite_url: str) -> None:
    h = await prompts_harness(sqlite_url)
    await h.advance("2d")
    post = prompt_posts(h.sent)[0]
    assert isinstance(post, Post) and post.thread is None
    assert post.text.startswith("Open question for the circle:")
    assert "Reply in the thread" in post.text
    await h.close()
