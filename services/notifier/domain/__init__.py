"""The notifier's rules and records: frozen typed models and pure functions, no I/O."""
