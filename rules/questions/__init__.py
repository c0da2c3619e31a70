"""Questions always get an answer: detection, tracking, nudges and moderator commands."""

from rules.questions.rule import Questions

RULES = (Questions,)
