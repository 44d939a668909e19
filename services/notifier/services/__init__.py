"""The notifier's use cases; they reach storage, senders and Kafka only through ``ports``."""
