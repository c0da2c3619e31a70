"""Flat-channel conversation model: which open question a new message answers (pure, in memory)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.text.addressing import NickIndex, addressed_users, nick_index, nick_key
from bot.text.questions import (
    FIRST_PERSON,
    WORD_RE,
    gives_up,
    is_greeting,
    is_question,
    is_thanks,
    lexicon,
    prose,
)

__all__ = [
    "AnswerKind",
    "AnswerSignal",
    "ChatLine",
    "FlatChannel",
    "Observation",
    "OpenQuestion",
    "find_answers",
    "is_follow_up_in_exchange",
    "is_own_request",
    "is_social",
    "may_answer",
]

BEING_HELPED = timedelta(minutes=4)
"""An unaddressed line this soon after another member addressed its author is a follow-up."""

TURN_WINDOW = timedelta(minutes=10)
"""How long the asker's words to another member wait for that member's reply (their turn)."""

NAMED_SLOTS = 6
"""Members named among this many first words take part in the line's exchange."""

AnswerKind = Literal["thread_reply", "platform_reply", "addressed", "asker_engaged"]


@dataclass(frozen=True, slots=True)
class ChatLine:
    """One channel message, reduced to what the heuristics need."""

    id: str
    user: str
    text: str
    at: datetime
    mentions: tuple[str, ...] = ()
    reply_to: str | None = None
    thread: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class OpenQuestion:
    """A question still waiting for an answer; ``thread`` is where it lives, if in a thread."""

    id: str
    asker: str
    at: datetime
    thread: str | None = None


@dataclass(frozen=True)
class AnswerSignal:
    """Evidence that ``answered_by`` responded to question ``question_id``."""

    question_id: str
    answered_by: str
    kind: AnswerKind


def _same_place(line: ChatLine, question: OpenQuestion) -> bool:
    return line.thread == question.thread or line.thread in (None, question.id)


def may_answer(line: ChatLine, addressed: Sequence[str]) -> bool:
    """Whether `find_answers` can find anything for ``line`` (addressing ``addressed``): only a
    thread or platform reply, or a line addressing someone, answers (keep it in step)."""
    replies = line.thread is not None or line.reply_to is not None
    return not line.is_bot and (replies or bool(addressed))


def find_answers(
    line: ChatLine,
    open_questions: Sequence[OpenQuestion],
    *,
    window: timedelta,
    known_users: Iterable[str] | NickIndex,
    recent: Sequence[ChatLine] = (),
    addressed: Sequence[str] | None = None,
) -> list[AnswerSignal]:
    """Signals that ``line`` answers some of ``open_questions`` (at most one per question).

    - ``thread_reply``: another member posts in the question's thread (no time limit);
    - ``platform_reply``: another member uses the platform's reply on the question;
    - ``addressed``: within ``window``, another member mentions or addresses the asker;
    - ``asker_engaged``: within ``window``, the asker addresses another member ('bob: thanks,
      that worked', 'bob: no, still broken') who, according to ``recent`` (earlier lines), posted
      since the question a message addressed to nobody else: that member evidently responded.
      Without that evidence the asker is more likely helping someone else, which answers nothing.

    ``addressed``: ``addressed_users`` of ``line`` with these known users, if known already.
    """
    if line.is_bot or not open_questions:
        return []
    known = nick_index(known_users)
    if addressed is None:
        addressed = addressed_users(line.text, mentions=line.mentions, known_users=known)
    addressed_keys = {nick_key(name) for name in addressed}
    line_key = nick_key(line.user)
    social = bool(addressed_keys) and (is_social(line.text, addressed_keys) or gives_up(line.text))
    signals: list[AnswerSignal] = []
    for question in open_questions:
        if line.id == question.id or line.at < question.at:
            continue
        asker_key = nick_key(question.asker)
        in_time = line.at - question.at <= window
        if line_key != asker_key:
            if line.thread is not None and line.thread in (question.id, question.thread):
                signals.append(AnswerSignal(question.id, line.user, "thread_reply"))
            elif line.reply_to is not None and line.reply_to == question.id:
                signals.append(AnswerSignal(question.id, line.user, "platform_reply"))
            elif (
                in_time
                and not social
                and asker_key in addressed_keys
                and _same_place(line, question)
                and not _belongs_elsewhere(line, question, addressed_keys, recent, known)
            ):
                signals.append(AnswerSignal(question.id, line.user, "addressed"))
            continue
        if not in_time or social or not _same_place(line, question):
            continue
        for name in addressed:
            if nick_key(name) != asker_key and _responded(name, question, recent, known):
                signals.append(AnswerSignal(question.id, name, "asker_engaged"))
                break
    return signals


def _responded(
    member: str, question: OpenQuestion, recent: Sequence[ChatLine], known: NickIndex
) -> bool:
    """Whether ``member`` posted since the question, once without addressing someone else.

    A line where the member asks for help with something of their own ('I can't install X, any
    ideas?') is no response: the asker talking to them then is helping, not being helped. Nor is
    the member's first line after the asker said something to them ('bob: try purge'): that line
    takes up the asker's words, as in ``_answers_other_turn``.
    """
    member_key, asker_key = nick_key(member), nick_key(question.asker)
    pending = False
    for line in recent:
        speaker = nick_key(line.user)
        if line.is_bot or speaker not in (member_key, asker_key):
            continue
        targets = {
            nick_key(n)
            for n in addressed_users(line.text, mentions=line.mentions, known_users=known)
        }
        if speaker == asker_key:
            if member_key in targets and question.at - line.at <= TURN_WINDOW:
                pending = not is_question(line.text)
            continue
        if pending:
            pending = False  # the member's reply to the asker's words to them
            continue
        if line.at < question.at or line.id == question.id or is_own_request(line.text):
            continue
        if is_social(line.text, targets) or gives_up(line.text):
            continue  # 'good evening everyone', 'no idea, sorry': present, not responding
        targets.discard(member_key)
        if not targets or asker_key in targets:
            return True
    return False


def _belongs_elsewhere(
    line: ChatLine,
    question: OpenQuestion,
    addressed_keys: set[str],
    recent: Sequence[ChatLine],
    known: NickIndex,
) -> bool:
    """Another member addresses the asker, but in some other exchange than the question.

    - the member asks the asker for help with their own problem ('alice: I'm trying to save X
      and get Y, any idea?');
    - the member takes up the asker's own words to them (``_answers_other_turn``);
    - the line also addresses a third member whom the asker has talked to since the question
      ('bob: carol adding her to the group is better'): that group's exchange, where the asker
      is helping someone else.
    """
    if is_own_request(line.text) or _answers_other_turn(line, question, recent, known):
        return True
    member_key, asker_key = nick_key(line.user), nick_key(question.asker)
    others = (addressed_keys | _named(line.text, known)) - {member_key, asker_key}
    if not others:
        return False
    for earlier in recent:
        if earlier.is_bot or nick_key(earlier.user) != asker_key or earlier.at < question.at:
            continue
        if earlier.id == question.id or line.at - earlier.at > TURN_WINDOW:
            continue
        targets = addressed_users(earlier.text, mentions=earlier.mentions, known_users=known)
        if others & {nick_key(n) for n in targets}:
            return True
    return False


def _named(text: str, known: NickIndex) -> set[str]:
    """Keys of known members named among the first words ('bob: carol dave, try X')."""
    names: set[str] = set()
    for token in text.split()[:NAMED_SLOTS]:
        word = token.strip(":,;.!?<>()@")
        if len(word) >= 3:
            names.update(nick_key(n) for n in known.lookup(word, punctuated=False))
    return names


def is_social(text: str, names: Iterable[str] = ()) -> bool:
    """Only a greeting or a thanks, once the ``names`` (nick keys) it is addressed to are dropped:
    'hey bob', 'carol: hi', 'bob, alice: thanks!'. It helps nobody: it answers no question, and a
    thanks says the addressed member was the helper."""
    keys = set(names)
    rest = " ".join(w for w in text.split() if nick_key(w) not in keys)
    return bool(rest) and (is_greeting(rest) or is_thanks(rest))


def is_own_request(text: str) -> bool:
    """A help request about the author's own problem: it asks for help or reports a problem
    ('I'm trying to...', 'my wifi doesn't work') in the first person. A reply that merely ends in
    a question ('I'd go xfs. ext4?') is not one."""
    if not is_question(text):
        return False
    body = prose(text)
    lex = lexicon()
    if not (lex.help_re.search(body) or lex.problem_re.search(body)):
        return False
    return any(w in FIRST_PERSON for w in WORD_RE.findall(body))


def _answers_other_turn(
    line: ChatLine, question: OpenQuestion, recent: Sequence[ChatLine], known: NickIndex
) -> bool:
    """``line`` (another member addressing the asker) replies to the asker's own words to them.

    When the asker last addressed that member with a statement (helping or chatting, say
    'bob: sudo dpkg --purge foo') and the member had not addressed the asker since, the member's
    next words to the asker take up that turn: their exchange, not an answer to the question the
    asker put to the room. A statement the asker made to them in reply to an earlier turn of
    theirs is answered already, and an asker's question to them ('bob: any idea?') invites the
    answer, so neither counts.
    """
    member_key, asker_key = nick_key(line.user), nick_key(question.asker)
    pending = False
    for earlier in recent:
        if earlier.is_bot or earlier.id == line.id or earlier.at > line.at:
            continue
        if line.at - earlier.at > TURN_WINDOW:
            continue
        speaker = nick_key(earlier.user)
        if speaker not in (member_key, asker_key):
            continue
        targets = {
            nick_key(n)
            for n in addressed_users(earlier.text, mentions=earlier.mentions, known_users=known)
        }
        if speaker == member_key and asker_key in targets:
            pending = False  # the member has taken their turn
        elif speaker == asker_key and member_key in targets:
            pending = not is_question(earlier.text)
    return pending


def is_follow_up_in_exchange(
    line: ChatLine, recent: Sequence[ChatLine], *, window: timedelta
) -> bool:
    """True when ``line`` continues an exchange its author is already in, so it opens nothing.

    That is: it replies (platform reply or thread) to another member's recent message, or it
    addresses a member who, within ``window``, addressed its author or was addressed by them,
    or another member addressed its author within ``BEING_HELPED`` (the author is being helped).
    """
    if line.is_bot:
        return False
    earlier = [
        r
        for r in recent
        if r.id != line.id and not r.is_bot and line.at - window <= r.at <= line.at
    ]
    author = nick_key(line.user)
    others = [r for r in earlier if nick_key(r.user) != author]
    if line.reply_to is not None and any(r.id == line.reply_to for r in others):
        return True
    if line.thread is not None and any(line.thread in (r.id, r.thread) for r in others):
        return True
    speakers = {r.user for r in others}
    addressed = {
        nick_key(n)
        for n in addressed_users(line.text, mentions=line.mentions, known_users=speakers)
    }
    addressed.discard(author)
    everyone = NickIndex(speakers | {line.user})
    soon = line.at - min(window, BEING_HELPED)
    for r in earlier:
        speaker = nick_key(r.user)
        if (not addressed) if speaker == author else (speaker not in addressed and r.at < soon):
            continue  # cannot count: the author's words only toward whom the line addresses
        targets = {
            nick_key(n) for n in addressed_users(r.text, mentions=r.mentions, known_users=everyone)
        }
        counts = bool(addressed & targets) if speaker == author else author in targets
        if counts and not (is_social(r.text, targets) or gives_up(r.text)):
            return True  # not 'bob: hi', 'bob: no idea' or 'alice: thanks' (no help there)
    return False


@dataclass(frozen=True)
class Observation:
    """What one line did to the channel model: questions it answered, the question it opened."""

    answers: tuple[AnswerSignal, ...] = ()
    opened: OpenQuestion | None = None


@dataclass
class FlatChannel:
    """Feeds lines through the pure functions above and keeps the channel's short memory.

    ``window``: how long a question stays open to flat-channel signals (thread and platform
    replies count at any time); ``exchange_window``: how far back an exchange is remembered;
    ``merge``: a question by someone who already has one open within this span is folded into
    it (off by default: answer signals close all of an asker's questions anyway);
    ``forget_after``: unanswered questions are dropped from memory after this long.
    """

    window: timedelta = timedelta(minutes=30)
    exchange_window: timedelta = timedelta(minutes=10)
    merge: timedelta = timedelta(0)
    forget_after: timedelta = timedelta(days=1)
    recent: deque[ChatLine] = field(default_factory=deque)
    open: dict[str, OpenQuestion] = field(default_factory=dict)
    seen_users: dict[str, datetime] = field(default_factory=dict)

    def observe(self, line: ChatLine) -> Observation:
        """Update the model with a new line; return what it answered and what it opened."""
        horizon = line.at - max(self.window, self.exchange_window)
        while self.recent and self.recent[0].at < horizon:
            self.recent.popleft()
        for user, last in list(self.seen_users.items()):
            if last < horizon:
                del self.seen_users[user]
        for qid, question in list(self.open.items()):
            if line.at - question.at > self.forget_after:
                del self.open[qid]
        answers = find_answers(
            line,
            list(self.open.values()),
            window=self.window,
            known_users=self.seen_users,
            recent=self.recent,
        )
        for signal in answers:
            self.open.pop(signal.question_id, None)
        opened = None
        if not line.is_bot and self._opens_question(line):
            opened = OpenQuestion(line.id, line.user, line.at, line.thread)
            self.open[line.id] = opened
        self.recent.append(line)
        if not line.is_bot:
            self.seen_users[line.user] = line.at
        return Observation(tuple(answers), opened)

    def _opens_question(self, line: ChatLine) -> bool:
        if not is_question(line.text):
            return False
        author = nick_key(line.user)
        for question in self.open.values():
            if nick_key(question.asker) == author and line.at - question.at <= self.merge:
                return False
        return not is_follow_up_in_exchange(line, list(self.recent), window=self.exchange_window)

    def still_open(self, question_id: str) -> bool:
        """Whether the question has received no answer signal yet (and is tracked)."""
        return question_id in self.open
