"""The read stage: the public read API and the documents it answers with."""
