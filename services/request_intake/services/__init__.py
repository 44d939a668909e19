"""Intake's use cases: one module per capability, written against the Protocols in ``ports``."""
