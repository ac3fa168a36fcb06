"""The receiving stage: mention requests in, a pending row and a queued verification out."""
