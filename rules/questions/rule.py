"""The questions rule: detect questions, track them until answered or solved, run the ladder."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.actions import Action, SetTags
from bot.context import DueItem, RuleContext
from bot.events import (
    CommandInvoked,
    Event,
    MessageDeleted,
    MessageEdited,
    MessagePosted,
    ReactionAdded,
    TagsChanged,
)
from bot.rule import Command, CommandHandler, Rule
from bot.text.addressing import nick_key, same_member_key
from bot.text.exchange import (
    AnswerSignal,
    ChatLine,
    OpenQuestion,
    find_answers,
    is_follow_up_in_exchange,
    may_answer,
)
from bot.text.questions import is_thanks, lexicon, question_score, says_solved
from rules.questions import commands, nudges, tracking
from rules.questions.line_cache import Talk
from rules.questions.models import (
    DELETED,
    LIVE_STATES,
    MARKED_SOLVED,
    OPEN,
    SOLVED,
    WITHDRAWN,
    Question,
)
from rules.questions.settings import QuestionSettings

ROOM_RE = re.compile(
    r"\b(?:any ?one|any ?body|some ?one|some ?body|every ?one|alguien|nadie)\b", re.IGNORECASE
)
"""Words that put a question to the whole room."""
SUGGESTION_RE = re.compile(
    r"^\W*(?:have|did) (?:you|u) (?:tried|try|checked|check|looked|read|installed|run|ran)\b"
    r"|^\W*(?:has|ha) probado|^\W*probaste",
    re.IGNORECASE,
)
"""'Have you tried X?': a suggestion to someone, not a request for help."""
LEAD_NICK_RE = re.compile(r"^\s*([^\s:,]{2,32})[:,]\s")
"""IRC-style address of a member not seen lately ('futsuriai, what program...')."""
SQUEEZE_RE = re.compile(r"(\w)\1+")
"""A letter run ('uhhh', 'hmmm') read as one letter, as interjections are stretched."""
NOT_NICKS = frozenset({"btw", "anyway", "update", "edit", "note", "ps", "fyi", "also", "um"})
WITHDRAW_RE = re.compile(
    r"\b(?:never ?mind|nvm|forget it|no longer needed|olv[ií]dalo|ya no hace falta|da igual)\b",
    re.IGNORECASE,
)


def watched(settings: QuestionSettings, *names: str | None) -> bool:
    """Whether a channel (by id or name) is watched under these settings."""
    keys = {n.lstrip("#") for n in names if n}
    if keys & {c.lstrip("#") for c in settings.ignore}:
        return False
    return not settings.watch or bool(keys & {c.lstrip("#") for c in settings.watch})


class Questions(Rule):
    """A place where questions always have an answer."""

    name = "questions"
    Settings = QuestionSettings
    handles = (MessagePosted, MessageEdited, MessageDeleted, ReactionAdded, TagsChanged)
    priority = 50

    def warm_up(self) -> None:
        lexicon()  # parsed from YAML and compiled once per process

    async def on_event(self, event: Event, ctx: RuleContext) -> list[Action]:
        if isinstance(event, MessagePosted):
            return await self._message(event, ctx)
        if isinstance(event, ReactionAdded):
            return await self._reaction(event, ctx)
        if isinstance(event, TagsChanged):
            return await self._tags(event, ctx)
        if isinstance(event, MessageDeleted | MessageEdited):
            await self._changed(event, ctx)
        return []

    async def _message(self, event: MessagePosted, ctx: RuleContext) -> list[Action]:
        if event.is_bot or event.is_direct:
            return []
        settings = ctx.settings_for(event.channel, event.channel_name)
        assert isinstance(settings, QuestionSettings)
        if not watched(settings, event.channel, event.channel_name):
            return []
        session, community = ctx.session, ctx.community
        line = ChatLine(
            id=event.message_id,
            user=event.user,
            text=event.text,
            at=event.at,
            mentions=event.mentions,
            reply_to=event.reply_to,
            thread=event.thread,
        )
        horizon = event.at - max(settings.answer_window, settings.exchange_window)
        recent = await tracking.recent_lines(
            session, community=community, channel=event.channel, since=horizon
        )
        addressed = recent.addressed_by(line)
        opened = (  # most lines answer nothing whatever is open: no query for those
            await tracking.answer_candidates(
                session, community=community, event=event, window=settings.answer_window
            )
            if may_answer(line, addressed)
            else []
        )
        by_id = {q.id: q for q in opened}
        signals = find_answers(
            line,
            opened,
            window=settings.answer_window,
            known_users=recent.speakers,
            recent=recent,
            addressed=addressed,
        )
        if signals:
            helped = await tracking.recent_askers(
                session,
                community=community,
                channel=event.channel,
                since=event.at - settings.answer_window,
            )
            signals = [s for s in signals if not _helping(s, by_id[s.question_id], helped)]
        for signal in signals:
            row = await tracking.by_message(session, community, signal.question_id)
            if row is not None:
                await tracking.mark_answered(
                    ctx, row, by=signal.answered_by, kind=signal.kind, at=event.at
                )
        says = bool(is_thanks(line.text) or says_solved(line.text) or WITHDRAW_RE.search(line.text))
        # whether it asks matters to a thanks / "solved" / withdrawal, and to a line that may
        # open a question: neither an answer nor a reply in a thread (those open nothing)
        opening = not signals and event.thread in (None, event.message_id)
        asks = (says or opening) and question_score(event.text) >= settings.min_score
        # the asker's own live questions matter only to a thanks / "solved" / withdrawal (those
        # in the line's place) or to a question (the open ones it could fold into: merge_window)
        actions = await self._asker_signals(ctx, event, line, settings) if says and not asks else []
        mine = (
            await tracking.askers_live(
                session,
                community=community,
                channel=event.channel,
                user=event.user,
                since=event.at - min(settings.merge_window, settings.solved_window),
                only_open=True,
            )
            if asks and opening
            else []
        )
        if not signals and await self._opens(ctx, event, line, mine, recent, settings, asks=asks):
            await tracking.create(ctx, event, settings)
        await tracking.remember_line(session, community=community, event=event, horizon=horizon)
        return actions

    async def _asker_signals(
        self, ctx: RuleContext, event: MessagePosted, line: ChatLine, settings: QuestionSettings
    ) -> list[Action]:
        """The asker says it is solved, thanks someone, or withdraws the question."""
        mine = await tracking.askers_live_here(
            ctx.session,
            community=ctx.community,
            channel=event.channel,
            user=event.user,
            since=event.at - settings.solved_window,
            thread=line.thread,  # a thanks in a thread is about the thread's question
        )
        here = [q for q in mine if q.message_id != line.id]
        if not here:
            return []
        latest = here[0]
        if latest.state == OPEN and WITHDRAW_RE.search(line.text) and not is_thanks(line.text):
            await tracking.close(ctx, tracking.adopt_live(ctx.session, latest), reason=WITHDRAWN)
        elif is_thanks(line.text) or says_solved(line.text):
            row = tracking.adopt_live(ctx.session, latest)
            return await _solve(ctx, row, reason=MARKED_SOLVED)
        return []

    async def _opens(
        self,
        ctx: RuleContext,
        event: MessagePosted,
        line: ChatLine,
        mine: Sequence[tracking.Live],
        recent: Talk,
        settings: QuestionSettings,
        *,
        asks: bool,
    ) -> bool:
        if event.is_forum_post and settings.forum_posts_are_questions:
            return True  # a forum post is its own thread: every new post asks the forum
        if not asks or SUGGESTION_RE.search(line.text):
            return False
        if event.thread is not None:
            return event.thread == event.message_id  # a thread's own root; replies belong to it
        for row in mine:
            if row.state != OPEN or event.at - row.asked_at > settings.merge_window:
                continue
            if not _others_spoke_since(recent, asker=event.user, message_id=row.message_id):
                return False  # the same asker going on: one question told in several lines
        addressed = set(recent.addressed_by(line))
        if addressed - {line.user} or _starts_with_a_nick(line.text):
            return False  # asked of one member: theirs to answer, not the circle's
        if ROOM_RE.search(line.text):
            return True  # asked of everyone: a new question even from someone mid-exchange
        if is_follow_up_in_exchange(line, recent, window=settings.exchange_window):
            return False
        helping = await tracking.helped_since(
            ctx.session,
            community=ctx.community,
            channel=event.channel,
            user=event.user,
            since=event.at - settings.exchange_window,
        )
        return not helping  # a helper's question mid-exchange is part of that exchange

    async def _reaction(self, event: ReactionAdded, ctx: RuleContext) -> list[Action]:
        settings = ctx.settings_for(event.channel)
        assert isinstance(settings, QuestionSettings)
        if event.emoji not in settings.solved_emoji or event.is_bot:
            return []
        row = await tracking.by_message(ctx.session, ctx.community, event.message_id)
        if row is not None:
            moderator = ctx.is_moderator(event.user, roles=event.roles, is_admin=event.is_admin)
            if event.user == row.asker or moderator:
                return await _solve(ctx, row, reason=MARKED_SOLVED)
            return []
        if event.message_author in (None, event.user):
            return []
        mine = await tracking.askers_live(
            ctx.session,
            community=ctx.community,
            channel=event.channel,
            user=event.user,
            since=event.at - settings.solved_window,
        )
        if mine:
            row = tracking.adopt_live(ctx.session, mine[0])
            return await _solve(
                ctx, row, reason=MARKED_SOLVED, by=event.message_author, kind="reaction"
            )
        return []

    async def _tags(self, event: TagsChanged, ctx: RuleContext) -> list[Action]:
        """The solved tag set on a forum post by its asker or a moderator marks it solved."""
        if event.is_bot:
            return []
        settings = ctx.settings_for(event.channel)
        assert isinstance(settings, QuestionSettings)
        wanted = settings.solved_tag.casefold()
        if wanted not in {tag.casefold() for tag in event.tags}:
            return []
        row = await tracking.by_message(ctx.session, ctx.community, event.thread)
        if row is None:
            return []
        moderator = ctx.is_moderator(event.user, roles=event.roles, is_admin=event.is_admin)
        if event.user == row.asker or moderator:
            await tracking.mark_solved(ctx, row, reason=MARKED_SOLVED)  # the tag is already on
        return []

    async def _changed(self, event: MessageDeleted | MessageEdited, ctx: RuleContext) -> None:
        row = await tracking.by_message(ctx.session, ctx.community, event.message_id)
        if isinstance(event, MessageDeleted):
            await tracking.forget_line(
                ctx.session, community=ctx.community, message_id=event.message_id
            )
            if row is not None:
                await tracking.close(ctx, row, reason=DELETED)
            return
        if row is not None and row.state in LIVE_STATES:
            await tracking.save(ctx.session, row, text=event.text[: tracking.TEXT_LIMIT])

    async def before_due(self, items: Sequence[DueItem], ctx: RuleContext) -> None:
        await nudges.before_due(items, ctx)

    async def on_due(self, item: DueItem, ctx: RuleContext) -> list[Action]:
        return await nudges.on_due(item, ctx)

    def commands(self) -> list[Command]:
        return [
            replace(c, handler=_tagging_answered(c.handler)) if c.name == "answered" else c
            for c in commands.build()
        ]


def is_forum_post(row: Question, ctx: RuleContext) -> bool:
    """A question that is a forum post: its message is its own thread, on a platform with tags."""
    return ctx.capabilities.forum_tags and row.thread is not None and row.thread == row.message_id


async def _solve(
    ctx: RuleContext,
    row: Question,
    *,
    reason: str,
    by: str | None = None,
    kind: str | None = None,
) -> list[Action]:
    """Mark the question solved; a forum post also gets the configured solved tag."""
    was_live = row.state in LIVE_STATES
    await tracking.mark_solved(ctx, row, reason=reason, by=by, kind=kind)
    return solved_tag_actions(ctx, row) if was_live and row.state == SOLVED else []


def solved_tag_actions(ctx: RuleContext, row: Question) -> list[Action]:
    """`SetTags` adding the solved tag when the question is a forum post, else nothing."""
    if not is_forum_post(row, ctx):
        return []
    settings = tracking.settings_of(ctx, row)
    assert row.thread is not None
    return [
        SetTags(
            community=row.community,
            channel=row.channel,
            thread=row.thread,
            add=(settings.solved_tag,),
            tag=f"questions:solved-tag:{row.id}",
        )
    ]


def _tagging_answered(handler: CommandHandler) -> CommandHandler:
    """The moderators' `answered` command, plus the solved tag when it solves a forum post."""

    async def answered(cmd: CommandInvoked, args: list[str], ctx: RuleContext) -> list[Action]:
        ref = commands.parse_ref(args[0]) if args else None
        row = None if ref is None else await tracking.get_question(ctx.session, ctx.community, ref)
        was_live = row is not None and row.state in LIVE_STATES
        actions = await handler(cmd, args, ctx)
        if row is not None and was_live and row.state == SOLVED:
            actions = [*actions, *solved_tag_actions(ctx, row)]
        return actions

    return answered


def _helping(
    signal: AnswerSignal, row: Question | OpenQuestion, helped: dict[str, set[str | None]]
) -> bool:
    """The signal belongs to the exchange where the asker helps the other member with theirs.

    `helped` maps each recent asker to who answered them (None: nobody yet). When member B has a
    live question of their own, the asker talking to B is taking part in B's question; and when
    the asker answered B, B talking to the asker is B's exchange. Neither answers the asker's
    question. Nicks compare as the same member across IRC variants ('bob' and 'bob1').
    """
    other = signal.answered_by
    if other not in helped:
        return False
    if signal.kind == "asker_engaged":
        return True
    helpers = {same_member_key(name) for name in helped[other] if name is not None}
    return signal.kind == "addressed" and same_member_key(row.asker) in helpers


def _starts_with_a_nick(text: str) -> bool:
    """`word: ...` or `word, ...` where the word is no everyday word: an address to a member."""
    match = LEAD_NICK_RE.match(text)
    if match is None:
        return False
    key = nick_key(match.group(1))
    if not key or key.isdigit():
        return False
    words = lexicon().common_words | NOT_NICKS
    return key not in words and SQUEEZE_RE.sub(r"\1", key) not in words  # 'uhhh,' is 'uh,'


def _others_spoke_since(recent: Sequence[ChatLine], *, asker: str, message_id: str) -> bool:
    """Whether another member spoke after the asker's earlier question (the talk moved on)."""
    after = False
    for line in recent:
        if line.id == message_id:
            after = True
        elif after and line.user != asker and not line.is_bot:
            return True
    return False
