"""Welcome: greet each newcomer with the circle's norms and invite an introduction."""

from rules.welcome.rule import Welcome

RULES = (Welcome,)
