"""Adapters behind the use cases' ports: Redis state, the SMTP and webhook senders, dead letters."""
