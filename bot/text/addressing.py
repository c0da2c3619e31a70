"""Who a message in a flat channel is addressed to: structured mentions plus IRC-style nicks."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, insort
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from bot.text.questions import MAX_SCAN_CHARS, lexicon

__all__ = ["NickIndex", "addressed_users", "nick_index", "nick_key", "same_member_key"]

_AT_NICK = re.compile(r"(?<![\w@])@([^\s:,;!?()<>]{1,40})")
_STRIP_LEAD = "@<([{\"'"
_STRIP_TRAIL = ":,;.!?>)]}\"'"
_MIN_PREFIX = 3
"""A shortened nick ('Tex:' for 'Tex-Twil') must keep this many characters and end in ':' or ','."""
_MIN_TYPO_LENGTH = 5
"""A 'nick:' one letter off a known nick ('natfallo:' for 'Nafallo') is that nick from here on."""
_LEAD_SLOTS = 4
"""Nicks are looked for among the first tokens only (lists like 'alice, bob: ...')."""

_REFERENCE_WORDS = frozenset(
    "with to from like than as of for about by at on con de para por sobre como".split()
)
"""A trailing nick after one of these is talked about, not to ('agreed with bob')."""


@lru_cache(maxsize=8192)
def nick_key(name: str) -> str:
    """Comparable form of a nickname: casefolded, letters and digits only ('[[Bob]]' -> 'bob')."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    key = "".join(c for c in folded if c.isalnum())
    return key or folded.strip()


def same_member_key(name: str) -> str:
    """The nick key without trailing digits: IRC variants of one member ('bob1', 'Bob_') agree."""
    key = nick_key(name)
    root = key.rstrip("0123456789")
    return root if len(root) >= _MIN_PREFIX else key


class NickIndex:
    """Known names by nick key, by unique prefix and by one-letter typo, built once so each
    lookup is cheap (O(1), or O(log n) for a prefix).

    An index can also follow a changing set of names (`add`, `discard`): what it built for
    prefixes and typos is updated in place. Its maps hold immutable values (replaced, never
    changed), so `copy` is a few shallow copies.
    """

    __slots__ = ("_deletes", "_names", "_sorted")

    def __init__(self, known_users: Iterable[str] = ()) -> None:
        names: dict[str, list[str]] = {}
        for name in known_users:
            key = nick_key(name)
            if key and name not in names.setdefault(key, []):
                names[key].append(name)
        self._names = names
        # built on first need (most messages address nobody): the keys in order (those a
        # prefix stands for are side by side), and one letter deleted -> the key it stands for
        # (a tuple when several share it)
        self._sorted: list[str] | None = None
        self._deletes: dict[str, _Keys] | None = None

    def copy(self) -> NickIndex:
        """An index of the same names that changes on its own."""
        twin = NickIndex()
        twin._names = dict(self._names)
        twin._sorted = None if self._sorted is None else list(self._sorted)
        twin._deletes = None if self._deletes is None else dict(self._deletes)
        return twin

    def add(self, name: str) -> None:
        """Know one more name."""
        key = nick_key(name)
        if not key:
            return
        names = self._names.get(key)
        if names is None:
            self._names[key] = [name]
            self._link(key, add=True)
        elif name not in names:
            self._names[key] = [*names, name]

    def discard(self, name: str) -> None:
        """Forget a name (nothing happens when it is not known)."""
        key = nick_key(name)
        names = self._names.get(key)
        if names is None or name not in names:
            return
        if len(names) > 1:
            self._names[key] = [n for n in names if n != name]
            return
        del self._names[key]
        self._link(key, add=False)

    def _link(self, key: str, *, add: bool) -> None:
        """Add or remove a key in the sorted keys and the one-letter map, where built."""
        relink = _link if add else _unlink
        keys = self._sorted
        if keys is not None:
            if add:
                insort(keys, key)
            else:
                del keys[bisect_left(keys, key)]
        if self._deletes is not None and len(key) >= _MIN_TYPO_LENGTH:
            relink(self._deletes, _one_deleted(key), key)

    def _by_prefix(self, prefix: str) -> str | None:
        """The one key that starts with `prefix` (not a key itself); None: none or several."""
        if self._sorted is None:
            self._sorted = sorted(self._names)
        keys = self._sorted
        at = bisect_left(keys, prefix)
        if at == len(keys) or not keys[at].startswith(prefix):
            return None
        if at + 1 < len(keys) and keys[at + 1].startswith(prefix):
            return None
        return keys[at]

    def _delete_map(self) -> dict[str, _Keys]:
        if self._deletes is None:
            deletes: dict[str, _Keys] = {}
            for key in self._names:
                if len(key) >= _MIN_TYPO_LENGTH:
                    _link(deletes, _one_deleted(key), key)
            self._deletes = deletes
        return self._deletes

    def __bool__(self) -> bool:
        return bool(self._names)

    def lookup(self, token: str, *, punctuated: bool) -> list[str]:
        """Known names a token stands for; prefixes count only when punctuated ('tex:')."""
        return self.lookup_key(nick_key(token), punctuated=punctuated)

    def lookup_key(self, key: str, *, punctuated: bool) -> list[str]:
        """`lookup` of a token's nick key."""
        if not key:
            return []
        found = self._names.get(key)
        if found is not None:
            return found
        if punctuated and len(key) >= _MIN_PREFIX:
            unique = self._by_prefix(key)
            if unique is not None:
                return self._names[unique]
        if punctuated and len(key) >= _MIN_TYPO_LENGTH:
            return self._typo(key)
        return []

    def _typo(self, key: str) -> list[str]:
        """The one known name a token misses by one letter ('natfallo:' for 'Nafallo')."""
        found: set[str | None] = set()
        deletes = self._delete_map()
        if key in deletes:
            found.add(_unique(deletes[key]))
        for variant in _one_deleted(key):
            if variant in self._names:
                found.add(variant)
            if variant in deletes:
                found.add(_unique(deletes[variant]))
        if len(found) != 1 or None in found:
            return []
        (unique,) = found
        assert unique is not None
        return self._names[unique]


_Keys = str | tuple[str, ...]
"""The key a map entry stands for, or the keys that share it (then it stands for none)."""


def _link(links: dict[str, _Keys], entries: Iterable[str], key: str) -> None:
    """Add `key` to the keys each entry stands for."""
    for entry in entries:
        found = links.get(entry)
        if found is None:
            links[entry] = key
        else:
            links[entry] = (found, key) if isinstance(found, str) else (*found, key)


def _unlink(links: dict[str, _Keys], entries: Iterable[str], key: str) -> None:
    """Remove `key` from the keys each entry stands for."""
    for entry in entries:
        found = links.get(entry)
        if isinstance(found, tuple):
            rest = tuple(k for k in found if k != key)
            links[entry] = rest[0] if len(rest) == 1 else rest
        elif found is not None:
            del links[entry]


def _unique(keys: _Keys) -> str | None:
    """The one key an entry stands for; None when several share it."""
    return keys if isinstance(keys, str) else None


@lru_cache(maxsize=8192)  # the same nicks and words come back, message after message
def _one_deleted(key: str) -> frozenset[str]:
    return frozenset(key[:i] + key[i + 1 :] for i in range(len(key)))


@lru_cache(maxsize=256)
def _cached_index(known: frozenset[str]) -> NickIndex:
    return NickIndex(known)


def nick_index(known_users: Iterable[str] | NickIndex) -> NickIndex:
    """A (cached) index of these names; an index passes through unchanged."""
    if isinstance(known_users, NickIndex):
        return known_users
    return _cached_index(frozenset(known_users))


def _is_common(token: str) -> bool:
    return nick_key(token) in lexicon().common_words or token.strip(_STRIP_TRAIL).isdigit()


def addressed_users(
    text: str,
    *,
    mentions: Iterable[str] = (),
    known_users: Iterable[str] | NickIndex = (),
) -> tuple[str, ...]:
    """Users a message addresses: its structured mentions, then known nicks written in it.

    Recognised: ``nick: ...``, ``nick, ...``, ``alice, bob: ...``, ``@nick`` anywhere, a bare
    known nick at the start (unless it is an everyday word), a nick after a leading courtesy
    ('thanks bob', 'gracias ana') and a trailing nick ('... | bob', 'thanks, bob!'), unless a
    preposition puts it in the third person ('agreed with bob', 'ask bob for it').
    Matching is case-insensitive and ignores punctuation around and inside the nick.
    Pass a prebuilt `NickIndex` (or the same set of names again: indexes are cached) so the
    cost per message is proportional to its words, not to the number of known users.
    """
    found: list[str] = []

    def add(names: Iterable[str]) -> None:
        for name in names:
            if name not in found:
                found.append(name)

    add(m for m in mentions if isinstance(m, str) and m)
    index = nick_index(known_users)
    if not index or not text:
        return tuple(found)
    plan = _plan(text)
    for key in plan.at_keys:
        add(index.lookup_key(key, punctuated=True))
    if not plan.words:
        return tuple(found)
    previous_was_nick = True
    for position, lead in enumerate(plan.lead):
        if lead.skipped:
            continue
        names = index.lookup_key(lead.key, punctuated=lead.punctuated)
        if names and lead.bare_ok and (previous_was_nick or position == 1):
            add(names)
            previous_was_nick = True
            if lead.ends:
                break
            continue
        if lead.courtesy:
            previous_was_nick = False
            continue
        break
    if plan.last is not None:
        add(index.lookup_key(plan.last, punctuated=False))
    return tuple(found)


class _Lead(NamedTuple):
    """One of a message's first words, as `addressed_users` reads it."""

    key: str
    """Nick key of the word without the punctuation around it."""
    punctuated: bool
    """'nick:' or 'nick,'."""
    skipped: bool
    """'and' between nicks."""
    bare_ok: bool
    """May stand for a nick without punctuation (no everyday word)."""
    courtesy: bool
    """The first word, an everyday one ('thanks bob')."""
    ends: bool
    """'nick:' ends the nicks a message starts with."""


class _Plan(NamedTuple):
    """What `addressed_users` looks up for a text, whoever is known (read once per text)."""

    at_keys: tuple[str, ...]
    lead: tuple[_Lead, ...]
    last: str | None
    """Nick key of the last word, when it may be a trailing nick."""
    words: bool


@lru_cache(maxsize=4096)  # a line is read again as the channel's recent lines are
def _plan(text: str) -> _Plan:
    body = text[:MAX_SCAN_CHARS]
    at_keys = tuple(nick_key(match.group(1)) for match in _AT_NICK.finditer(body))
    tokens = body.split()
    courtesy = lexicon().common_words
    lead = []
    for position, raw in enumerate(tokens[:_LEAD_SLOTS]):
        token = raw.lstrip(_STRIP_LEAD)
        punctuated = token[-1:] in (":", ",") if token else False
        bare = token.rstrip(_STRIP_TRAIL)
        lead.append(
            _Lead(
                key=nick_key(bare),
                punctuated=punctuated,
                skipped=position > 0 and token.casefold() in ("and", "y", "&"),
                bare_ok=punctuated or raw.startswith("@") or not _is_common(bare),
                courtesy=position == 0 and nick_key(token) in courtesy,
                ends=token.endswith(":"),
            )
        )
    last = None
    if len(tokens) > 1:
        word = tokens[-1].lstrip(_STRIP_LEAD).rstrip(_STRIP_TRAIL)
        if not _is_common(word) and tokens[-2].casefold() not in _REFERENCE_WORDS:
            last = nick_key(word)
    return _Plan(at_keys, tuple(lead), last, bool(tokens))
