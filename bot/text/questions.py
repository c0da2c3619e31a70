"""Question and help-request detection for English and Spanish chat messages (pure functions)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

__all__ = [
    "FIRST_PERSON",
    "QUESTION_THRESHOLD",
    "WORD_RE",
    "Lexicon",
    "gives_up",
    "is_code_only",
    "is_greeting",
    "is_question",
    "is_thanks",
    "lexicon",
    "normalize",
    "prose",
    "question_score",
    "says_solved",
]

QUESTION_THRESHOLD = 0.5
MAX_SCAN_CHARS = 4000
"""Only the first characters of a message are scanned: long pastes add nothing but cost."""

# Auxiliary verbs that start a question only when a subject follows ("do you", "have you").
_NEEDS_SUBJECT = frozenset({"do", "did", "has", "have", "was", "were", "may", "might", "will"})
_SUBJECTS = frozenset(
    "i you we they he she it there this that these those anyone anybody someone somebody"
    " any my your the a an u ya".split()
)
FIRST_PERSON = frozenset(
    "i i'm im i've ive i'd me my mine we our us yo mi mis me tengo estoy".split()
)

_FENCE = re.compile(r"```.*?(```|$)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"(?:https?://|www\.)\S+|<https?://[^>]*>", re.IGNORECASE)
_PLATFORM_MENTION = re.compile(r"<[@#!][^>]{1,80}>|(?<!\w)@[\w.\-|\[\]`^{}]{1,40}")
_LEADING_NICK = re.compile(r"^[^\s:,]{1,40}:\s+")
_CLAUSE_SPLIT = re.compile(r"[!?;:,()\n\u00bf\u00a1]+|\.+(?=\s|$)|\s[-\u2013\u2014]+\s")
"""Clause ends; a dot only ends one before a space ("1.tex" and "v2.0" stay whole)."""
WORD_RE = re.compile(r"[a-z0-9\u00f1][a-z0-9'\u00f1]*")
_PROSE_WORD = re.compile(r"^[a-z\u00f1]{2,}(?:'[a-z]{1,2})?[.,!?:;]*$")
_COMMAND_START = re.compile(r"^\s*(?:[!/][a-z]|\$ |# |>>> |sudo |apt(?:-get)? |cd |ls |cat |grep )")
_BOT_COMMAND = re.compile(r"^\s*[!/][a-z]", re.IGNORECASE)
_EMOTICON = re.compile(r"[:;=8][-']?[)(dpo/\\|\]\[]|<3|\^\^|\bxd\b", re.IGNORECASE)


@dataclass(frozen=True)
class Lexicon:
    """Word lists from lexicon.yaml, accent-folded, with compiled phrase patterns."""

    interrogatives: frozenset[str]
    greetings: frozenset[str]
    thanks: frozenset[str]
    fillers: frozenset[str]
    chatter: frozenset[str]
    help_re: re.Pattern[str]
    problem_re: re.Pattern[str]
    solved_re: re.Pattern[str]
    give_up_re: re.Pattern[str]
    thanks_re: re.Pattern[str]
    greeting_re: re.Pattern[str]
    multiword_interrogatives: tuple[str, ...]
    common_words: frozenset[str]


def _fold(text: str) -> str:
    """Lowercase and drop accents (keeping ñ) so 'Cómo' and 'como' compare equal."""
    if text.isascii() and "\x00" not in text:
        return text.lower()  # no accent to drop (most messages): the same, much faster
    decomposed = unicodedata.normalize("NFD", text.lower().replace("ñ", "\x00"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", stripped).replace("\x00", "ñ")


def _phrase_re(phrases: list[str]) -> re.Pattern[str]:
    alternatives = sorted({_fold(p) for p in phrases}, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in alternatives)
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])")  # the boundaries bind every phrase


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load bot/text/lexicon.yaml once."""
    raw = resources.files("bot.text").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    data: dict[str, list[str]] = yaml.safe_load(raw)
    words = {key: [_fold(str(w)) for w in values] for key, values in data.items()}
    return Lexicon(
        interrogatives=frozenset(w for w in words["interrogatives"] if " " not in w),
        greetings=frozenset(words["greetings"]),
        thanks=frozenset(words["thanks"]),
        fillers=frozenset(words["fillers"]),
        chatter=frozenset(words["chatter"]),
        help_re=_phrase_re(words["help_phrases"]),
        problem_re=_phrase_re(words["problem_phrases"]),
        solved_re=_phrase_re(words["solved"]),
        give_up_re=_phrase_re(words["give_up"]),
        thanks_re=_phrase_re(words["thanks"]),
        greeting_re=_phrase_re(words["greetings"]),
        multiword_interrogatives=tuple(w for w in words["interrogatives"] if " " in w),
        common_words=frozenset(
            w
            for key in (
                "common_words",
                "greetings",
                "thanks",
                "fillers",
                "chatter",
                "interrogatives",
            )
            for w in words[key]
        ),
    )


@lru_cache(maxsize=4096)  # one message is normalized by several checks in a row
def normalize(text: str) -> str:
    """NFKC, typographic quotes to ASCII, accent-folded lowercase, collapsed spaces."""
    text = unicodedata.normalize("NFKC", text[:MAX_SCAN_CHARS])
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u00b4", "'")
    return re.sub(r"[ \t\r\f\v]+", " ", _fold(text)).strip()


@lru_cache(maxsize=4096)
def prose(text: str) -> str:
    """The normalized message without code, URLs, mentions or a leading 'nick:'."""
    text = text[:MAX_SCAN_CHARS]
    if "`" in text:  # (code needs a backquote)
        text = _INLINE_CODE.sub(" code ", _FENCE.sub(" ", text))
    text = _URL.sub(" ", text)
    text = _PLATFORM_MENTION.sub(" ", text)
    text = normalize(text)
    return _LEADING_NICK.sub("", text).strip()


def _words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def _only_from(text: str, allowed: frozenset[str], phrase_re: re.Pattern[str]) -> bool:
    """True when text is made only of the allowed words/phrases (and emoji or punctuation)."""
    rest = phrase_re.sub(" ", _EMOTICON.sub(" ", text))
    return all(w in allowed for w in _words(rest))


def is_greeting(text: str) -> bool:
    """A bare greeting or farewell ('hi all', 'hola a todos'), nothing asked."""
    body = prose(text)
    lex = lexicon()
    if not body or not lex.greeting_re.search(body) or "?" in body:
        return False
    return _only_from(body, lex.greetings | lex.fillers, lex.greeting_re)


def is_thanks(text: str) -> bool:
    """A message that only thanks ('thanks!', 'ok thank you very much', 'muchas gracias')."""
    body = prose(text)
    lex = lexicon()
    if not body or not lex.thanks_re.search(body):
        return False
    return _only_from(body, lex.thanks | lex.fillers | lex.greetings, lex.thanks_re)


def says_solved(text: str) -> bool:
    """The author reports success or gratitude ('that worked', 'ya funciona', 'gracias')."""
    body = prose(text)
    if not body:
        return False
    match = lexicon().solved_re.search(body)
    if match is None:
        return False
    before = body[max(0, match.start() - 12) : match.start()]
    if re.search(r"(?:not|n't|nt|no|never|sin|aun no)\s+(?:\w+\s+)?$", before):
        return False
    if body[match.start() - 1 : match.start()] in ('"', "'"):
        return False  # 'the only thing that "solved" it was vesa': mentioned, not said
    return not _BUT_RE.search(body, match.end())  # 'it works, but it times out': not solved


_BUT_RE = re.compile(r"\b(?:but|except|pero|aunque|excepto)\b")
"""A success phrase followed by one of these is hedged: the problem is not solved."""


_SUGGESTS = re.compile(
    r"\b(?:try|use|install|run|check|look|see|read|google|search|ask|maybe|perhaps|should|could"
    r"|probably|prueba|usa|instala|mira|busca|pregunta|quiz[aá]s|tal vez|deber[ií]as)\b"
    r"|(?<![:;])/|[`$=]|https?:"  # a slash after : or ; is a frown (":/"), not a path
)
GIVE_UP_WORDS = 12
"""A give-up is short: a longer line goes on to say something useful."""


def gives_up(text: str) -> bool:
    """A helper giving up ('no idea, sorry', 'ni idea', 'I don't know if it can be done, but
    somebody else might'): short, no question, no suggestion ('not sure, try X' helps)."""
    body = prose(text)
    give_up_re = lexicon().give_up_re
    if not body or "?" in body or not give_up_re.search(body):
        return False
    rest = give_up_re.sub(" ", body)  # 'maybe somebody else will' suggests nothing
    return len(_words(body)) <= GIVE_UP_WORDS and not _SUGGESTS.search(rest)


def is_code_only(text: str) -> bool:
    """Only a code block, a command line, a paste or URLs: no prose to answer."""
    stripped = text[:MAX_SCAN_CHARS].strip()
    if not stripped:
        return True
    without_fences = _FENCE.sub(" ", stripped) if "```" in stripped else stripped
    if without_fences.strip() != stripped and len(_words(prose(without_fences))) < 3:
        return True
    body = without_fences  # (a URL has '://' or 'www.')
    if "://" in body or "." in body:
        body = _URL.sub(" ", body)
    body = body.strip()
    if not body:
        return True
    lines = [ln for ln in body.splitlines() if ln.strip()]
    if len(lines) == 1 and _COMMAND_START.match(lines[0].lower()) and "?" not in lines[0]:
        tokens = lines[0].split()
        wordy = sum(1 for t in tokens if _PROSE_WORD.match(t.lower()))
        return wordy / max(len(tokens), 1) < 0.75
    tokens = body.split()
    if len(tokens) < 3:
        return False
    wordy = 0
    for token in tokens:  # prose: a few words in, the share of words is reached
        if _PROSE_WORD.match(token.lower()):
            wordy += 1
            if wordy / len(tokens) >= 0.3:
                return False
    return True


def _interrogative_start(clause: str, lex: Lexicon) -> float:
    """Score a clause that opens like a question ('how do i', 'can you', '¿cómo')."""
    for phrase in lex.multiword_interrogatives:
        if clause.startswith(phrase + " "):
            return 1.0
    words = _words(clause)
    if len(words) < 2 or words[0] not in lex.interrogatives:
        return 0.0
    if words[0] in _NEEDS_SUBJECT:
        return 0.8 if words[1] in _SUBJECTS else 0.0
    return 1.0


def question_score(text: str, *, is_bot: bool = False) -> float:
    """How strongly a message asks something or asks for help, from 0.0 to 1.0."""
    if is_bot or not text or not text.strip():
        return 0.0
    if is_code_only(text) or _BOT_COMMAND.match(text):
        return 0.0
    body = prose(text)
    words = _words(body)
    lex = lexicon()
    if len(words) < 2 or is_greeting(text) or is_thanks(text):
        return 0.0
    if all(w in lex.chatter or w in lex.fillers for w in words):
        return 0.0
    score = 0.0
    marks = body.count("?") + body.count("\u00bf")
    if marks:
        score += 0.6 if len(words) >= 3 else 0.3
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(body) if c.strip()]
    while len(clauses) > 1 and is_greeting(clauses[0]):
        clauses.pop(0)  # 'hey all, is there any...': the question opens after the greeting
    first = _interrogative_start(clauses[0], lex) if clauses else 0.0
    if first:
        score += 0.55 * first
    else:  # (the other clauses matter only when the first opens no question)
        starts = [_interrogative_start(c, lex) for c in clauses[1:8]]
        if any(starts):
            score += 0.4 * max(starts)
    if lex.help_re.search(body):
        score += 0.6
    if lex.problem_re.search(body):
        first_person = any(w in FIRST_PERSON for w in words)
        score += 0.55 if first_person else 0.3
    if len(words) < 3 and not marks:
        score *= 0.5
    return min(score, 1.0)


def is_question(text: str, *, is_bot: bool = False) -> bool:
    """True when the message asks a question or requests help."""
    return question_score(text, is_bot=is_bot) >= QUESTION_THRESHOLD
