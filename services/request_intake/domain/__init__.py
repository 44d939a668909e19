"""Intake's records and rules: frozen typed models and pure functions, no I/O and no HTTP."""
