"""Sending: the links of an author's post, each target's endpoint, the delivery to it."""
