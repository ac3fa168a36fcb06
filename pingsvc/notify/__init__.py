"""Telling the site owner: signed webhooks, e-mail, and the outbox that sends them once."""
