"""Talking to package indexes: simple-API lookups (and, later, uploads and credentials)."""
