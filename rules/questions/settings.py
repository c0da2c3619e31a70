"""Settings of the questions rule: detection, answered signals and the nudge ladder."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field

from bot.durations import Duration
from bot.rule import RuleSettings
from bot.text.questions import QUESTION_THRESHOLD

DEFAULT_SOLVED_EMOJI = (
    "white_check_mark",
    "heavy_check_mark",
    "ballot_box_with_check",
    "✅",
    "✔️",
    "☑️",
)


class QuestionSettings(RuleSettings):
    """Every knob of the questions rule; all of them can be overridden per channel."""

    watch: list[str] = Field(default_factory=list)
    """Channels (ids or names) to watch; empty means every channel."""
    ignore: list[str] = Field(default_factory=list)
    """Channels never watched (wins over `watch`)."""
    min_score: float = Field(default=QUESTION_THRESHOLD, ge=0.0, le=1.0)
    """How strongly a message must ask something (bot.text.questions.question_score)."""
    forum_posts_are_questions: bool = True
    """Every new forum post (Discord forum channels) is tracked as a question."""
    solved_tag: str = Field(default="solved", min_length=1, max_length=100)
    """Forum tag applied when a forum-post question is solved; set by the asker or a moderator
    it marks the question solved (names compare without regard to case)."""
    answer_window: Duration = timedelta(minutes=30)
    """Flat channels: how long a message addressing the asker counts as an answer."""
    exchange_window: Duration = timedelta(minutes=10)
    """How far back an ongoing exchange is remembered (follow-ups there open nothing)."""
    merge_window: Duration = timedelta(minutes=10)
    """A second question by the same asker within this span is folded into the first."""
    solved_window: Duration = timedelta(days=1)
    """How long the asker's 'thanks' or 'that worked' in the same place marks it solved."""
    solved_emoji: list[str] = Field(default_factory=lambda: list(DEFAULT_SOLVED_EMOJI))
    """Reactions that mark a question solved when the asker or a moderator adds them."""
    invite_to_mark_solved: bool = True
    """After an answer, invite the asker once (privately) to mark it solved and thank the helper."""
    invite_after: Duration = timedelta(minutes=30)
    """How long after the first answer the invitation is sent, if not solved by then."""
    helpers_after: Duration | None = timedelta(minutes=15)
    """T1: the gentle helpers nudge (none when null)."""
    helpers_style: Literal["auto", "thread", "mention"] = "auto"
    """`mention` pings community.helpers_group, `thread` replies on the question, `auto` picks."""
    helpers_min_gap: Duration = timedelta(minutes=2)
    """Rate limit: at most one helpers nudge per channel in this span; others wait their turn."""
    moderators_after: Duration | None = timedelta(hours=2)
    """T2: the moderators nudge with claim/answered/snooze buttons (none when null)."""
    escalate_after: Duration | None = timedelta(hours=24)
    """T3: grouped escalation in the moderators' channel (none when null)."""
    escalation_batch: Duration = timedelta(minutes=15)
    """Questions reaching T3 within this span are escalated in one post."""
    claim_hold: Duration = timedelta(hours=24)
    """A claimed question waits this long before the ladder goes on."""
    expire_after: Duration | None = timedelta(days=7)
    """Open questions are closed as expired after this long (none when null)."""
    respect_quiet_hours: bool = True
    """Hold nudges during community.quiet_hours (community timezone) until they end."""
    excerpt_chars: int = Field(default=200, ge=20, le=2000)
    """Length of the excerpt shown in nudges and listings."""
