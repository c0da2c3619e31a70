"""First-contact guard: new members' link spam, mass mentions, cross-posts and floods are held."""

from rules.first_contact.rule import FirstContact

RULES = (FirstContact,)
