"""The notifier's entry points: the internal HTTP API and the Kafka topic -> use case table."""
