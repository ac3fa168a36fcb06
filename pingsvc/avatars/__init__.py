"""The avatar archive: author photos fetched at verification, re-encoded, served signed."""
