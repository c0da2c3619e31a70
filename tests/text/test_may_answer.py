"""`may_answer` is False only for lines `find_answers` finds nothing for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.addressing import addressed_users
from bot.text.exchange import ChatLine, OpenQuestion, find_answers, may_answer

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
NICKS = ["alice", "bob", "carol", "dave"]
WORDS = ["alice:", "bob,", "@carol", "thanks", "try", "apt", "purge", "it", "works", "hi", "?"]

_texts = st.one_of(
    st.sampled_from(["", "it works", "try apt purge"]),
    st.lists(st.sampled_from(WORDS + NICKS), max_size=6).map(" ".join),
)
_ids = st.sampled_from(["q1", "q2", "m9", None])
_lines = st.builds(
    ChatLine,
    id=st.sampled_from(["m1", "m2", "q1"]),
    user=st.sampled_from(NICKS),
    text=_texts,
    at=st.integers(0, 40).map(lambda m: AT + timedelta(minutes=m)),
    mentions=st.sampled_from([(), (), ("bob",)]),
    reply_to=_ids,
    thread=_ids,
)
_questions = st.lists(
    st.builds(
        OpenQuestion,
        id=st.sampled_from(["q1", "q2"]),
        asker=st.sampled_from(NICKS),
        at=st.integers(0, 40).map(lambda m: AT + timedelta(minutes=m)),
        thread=st.sampled_from([None, "q1", "q2"]),
    ),
    max_size=3,
)


@settings(max_examples=500, deadline=None)
@given(_lines, _questions, st.lists(_lines, max_size=5))
def test_a_line_that_may_not_answer_answers_nothing(
    line: ChatLine, questions: list[OpenQuestion], recent: list[ChatLine]
) -> None:
    known = {r.user for r in recent} | {q.asker for q in questions}
    addressed = addressed_users(line.text, mentions=line.mentions, known_users=known)
    signals = find_answers(
        line, questions, window=timedelta(minutes=30), known_users=known, recent=recent
    )
    assert may_answer(line, addressed) or signals == []
