"""Verifying a mention: fetch, read and store its verdict; the sweeps that re-queue the lost."""
