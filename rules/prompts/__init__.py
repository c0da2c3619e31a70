"""Open-topic prompts: scheduled open questions, members' suggestions and votes, engagement."""

from rules.prompts.rule import Prompts

RULES = (Prompts,)
