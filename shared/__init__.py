"""Contracts and small helpers shared by the sysaccess services (events, Kafka and Redis plumbing)."""
