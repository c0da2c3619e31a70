"""Digests: moderators' daily and weekly digests, members' weekly DM, participation breadth."""

from rules.digests.rule import Digests

RULES = (Digests,)
