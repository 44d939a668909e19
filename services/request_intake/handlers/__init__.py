"""Intake's entry points: the vendor HTTP API and the Kafka subscriptions."""
