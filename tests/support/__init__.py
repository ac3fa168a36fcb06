"""Test helpers: a real HTTP server for source pages and real service processes."""
