"""Tests for bot.text.exchange: answer signals and follow-ups in a flat channel."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.text.exchange import (
    AnswerSignal,
    ChatLine,
    FlatChannel,
    OpenQuestion,
    find_answers,
    is_follow_up_in_exchange,
    is_own_request,
)

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=30)
USERS = ["alice", "bob", "carol", "lucía"]


def line(lid: str, user: str, text: str, minute: int = 1, **extra: object) -> ChatLine:
    return ChatLine(id=lid, user=user, text=text, at=T0 + timedelta(minutes=minute), **extra)  # type: ignore[arg-type]


Q = OpenQuestion(id="q", asker="alice", at=T0)
Q_THREAD = OpenQuestion(id="q", asker="alice", at=T0, thread=None)


@pytest.mark.parametrize(
    ("new", "recent", "expected"),
    [
        (line("1", "bob", "alice: try dmesg | tail"), [], [AnswerSignal("q", "bob", "addressed")]),
        (line("1", "bob", "@Alice prueba con sudo"), [], [AnswerSignal("q", "bob", "addressed")]),
        (
            line("1", "bob", "look at the docs", mentions=("alice",)),
            [],
            [AnswerSignal("q", "bob", "addressed")],
        ),
        (
            line("1", "bob", "see that page", reply_to="q"),
            [],
            [AnswerSignal("q", "bob", "platform_reply")],
        ),
        (line("1", "bob", "try this", thread="q"), [], [AnswerSignal("q", "bob", "thread_reply")]),
        (
            line("2", "alice", "bob: thanks, that worked"),
            [line("1", "bob", "use nano")],
            [AnswerSignal("q", "bob", "asker_engaged")],
        ),
        (
            line("2", "alice", "lucía: no, sigue roto"),
            [line("1", "lucía", "prueba reiniciar")],
            [AnswerSignal("q", "lucía", "asker_engaged")],
        ),
        # the asker addressing someone who has not spoken since: the asker is helping, not helped
        (line("2", "alice", "bob: run mplayer from a terminal"), [], []),
        # bob answered carol, not the asker
        (line("1", "bob", "carol: try dmesg"), [], []),
        # the asker's own unaddressed follow-up is no answer
        (line("1", "alice", "anyone?"), [], []),
        # bots never answer
        (line("1", "bot", "alice: please don't flood", is_bot=True), [], []),
        # too late for a flat-channel signal
        (line("1", "bob", "alice: try dmesg", minute=45), [], []),
    ],
)
def test_find_answers(new: ChatLine, recent: list[ChatLine], expected: list[AnswerSignal]) -> None:
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS, recent=recent) == expected


def test_thread_replies_count_at_any_time() -> None:
    late = line("1", "bob", "did you fix it?", minute=600, thread="q")
    assert find_answers(late, [Q_THREAD], window=WINDOW, known_users=USERS) == [
        AnswerSignal("q", "bob", "thread_reply")
    ]


def test_asker_in_own_thread_answers_nothing() -> None:
    own = line("1", "alice", "more details here", thread="q")
    assert find_answers(own, [Q_THREAD], window=WINDOW, known_users=USERS) == []


def test_signal_for_each_open_question_of_the_asker() -> None:
    q2 = OpenQuestion(id="q2", asker="alice", at=T0 + timedelta(minutes=1))
    other = OpenQuestion(id="q3", asker="carol", at=T0)
    signals = find_answers(
        line("5", "bob", "alice: reinstall it", minute=3),
        [Q, q2, other],
        window=WINDOW,
        known_users=USERS,
    )
    assert [s.question_id for s in signals] == ["q", "q2"]


@pytest.mark.parametrize(
    ("new", "recent", "expected"),
    [
        # bob addressed alice 1 minute ago: alice's next question continues that exchange
        (
            line("3", "alice", "how do I run that?", minute=3),
            [line("2", "bob", "alice: run dmesg", minute=2)],
            True,
        ),
        # addressed back to the member she is talking with, later on
        (
            line("3", "alice", "bob: what does it mean?", minute=9),
            [line("2", "bob", "alice: run dmesg", minute=2)],
            True,
        ),
        # a fresh question long after the last exchange is new
        (
            line("3", "alice", "how do I mount a disk?", minute=9),
            [line("2", "bob", "alice: run dmesg", minute=2)],
            False,
        ),
        # nobody talked to alice
        (
            line("3", "alice", "how do I mount a disk?", minute=3),
            [line("2", "bob", "carol: run dmesg", minute=2)],
            False,
        ),
        # a platform reply to another member's message
        (
            line("3", "alice", "¿y cómo lo instalo?", reply_to="2"),
            [line("2", "bob", "usa apt")],
            True,
        ),
        # a bot addressing alice starts no exchange
        (
            line("3", "alice", "how do I mount?", minute=3),
            [line("2", "bot", "alice: no flood", minute=2, is_bot=True)],
            False,
        ),
    ],
)
def test_is_follow_up_in_exchange(new: ChatLine, recent: list[ChatLine], expected: bool) -> None:
    assert is_follow_up_in_exchange(new, recent, window=timedelta(minutes=10)) is expected


def test_flat_channel_opens_answers_and_keeps_unanswered_open() -> None:
    channel = FlatChannel()
    opened = channel.observe(line("1", "alice", "hi all", minute=0))
    assert opened.opened is None
    asked = channel.observe(line("2", "alice", "how do I mount an ntfs disk?", minute=1))
    assert asked.opened == OpenQuestion("2", "alice", T0 + timedelta(minutes=1))
    other = channel.observe(line("3", "carol", "¿alguien sabe cómo cambiar el teclado?", minute=2))
    assert other.opened is not None
    reply = channel.observe(
        line("4", "bob", "alice: sudo mount -t ntfs-3g /dev/sdb1 /mnt", minute=3)
    )
    assert reply.answers == (AnswerSignal("2", "bob", "addressed"),)
    assert not channel.still_open("2")
    assert channel.still_open("3")
    follow = channel.observe(line("5", "alice", "what is ntfs-3g?", minute=4))
    assert follow.opened is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*USERS, "b0t", ""]),
            st.text(max_size=200),
            st.integers(min_value=0, max_value=120),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_random_streams_never_raise(rows: list[tuple[str, str, int, bool]]) -> None:
    channel = FlatChannel()
    for index, (user, text, minute, bot) in enumerate(sorted(rows, key=lambda r: r[2])):
        observation = channel.observe(line(str(index), user, text, minute=minute, is_bot=bot))
        assert all(signal.answered_by for signal in observation.answers)


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("I'm trying to save java to my disk and it says bad command", True),
        ("my wifi doesn't work after the upgrade, any idea?", True),
        ("disk is cheap. I'd go xfs. ext4?", False),  # a reply ending in a question
        ("which version do you run?", False),
        ("ok thanks", False),
    ],
)
def test_is_own_request(text: str, own: bool) -> None:
    assert is_own_request(text) is own


@pytest.mark.parametrize(
    ("recent", "expected"),
    [
        # alice told bob something before asking the room: bob's words take up that turn
        ([line("0", "alice", "bob: sudo dpkg --purge foo", minute=-1)], []),
        # bob had replied to it already: his next words to alice are about her question
        (
            [
                line("0", "alice", "bob: sudo dpkg --purge foo", minute=-3),
                line("0b", "bob", "alice: done", minute=-2),
            ],
            [AnswerSignal("q", "bob", "addressed")],
        ),
        # alice asked bob something: his reply answers
        (
            [line("0", "alice", "bob: any idea about my launcher?", minute=0)],
            [AnswerSignal("q", "bob", "addressed")],
        ),
        # long ago: forgotten
        (
            [line("0", "alice", "bob: sudo dpkg --purge foo", minute=-20)],
            [AnswerSignal("q", "bob", "addressed")],
        ),
    ],
)
def test_reply_to_the_askers_own_words_is_no_answer(
    recent: list[ChatLine], expected: list[AnswerSignal]
) -> None:
    new = line("2", "bob", "alice: ok, it is gone now", minute=2)
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS, recent=recent) == expected


def test_own_request_addressed_to_the_asker_is_no_answer() -> None:
    new = line("1", "carol", "alice: I'm trying to install java and it fails, any idea?")
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS) == []


def test_line_to_the_asker_and_a_member_the_asker_helps_is_their_exchange() -> None:
    recent = [line("1", "alice", "carol, sudo nano /etc/sudoers", minute=1)]
    new = line("2", "bob", "alice: carol should use visudo instead", minute=2)
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS, recent=recent) == []
    alone = line("3", "bob", "alice: use visudo instead", minute=2)
    assert find_answers(alone, [Q], window=WINDOW, known_users=USERS, recent=recent) == [
        AnswerSignal("q", "bob", "addressed")
    ]


@pytest.mark.parametrize(
    ("recent", "expected"),
    [
        # bob only replied to alice's earlier words to him: no evidence he responded to the question
        (
            [
                line("0", "alice", "bob: try freetds", minute=-1),
                line("1", "bob", "thanks mate", minute=1),
            ],
            [],
        ),
        # bob asked for help with his own problem: alice talking to him is helping him
        ([line("1", "bob", "I'm trying to install java, any idea?", minute=1)], []),
        ([line("1", "bob", "use nano", minute=1)], [AnswerSignal("q", "bob", "asker_engaged")]),
    ],
)
def test_asker_engaged_needs_a_response_to_the_question(
    recent: list[ChatLine], expected: list[AnswerSignal]
) -> None:
    new = line("2", "alice", "bob: that is not the greatest, but ok", minute=2)
    assert find_answers(new, [Q], window=WINDOW, known_users=USERS, recent=recent) == expected
