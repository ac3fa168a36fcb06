"""Reading a fetched page: whether it links to the target, and what it says (the entry)."""
