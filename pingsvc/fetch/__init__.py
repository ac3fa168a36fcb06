"""Fetching source pages: the address guard, the limits, and the fetched page as a value."""
