"""Redis adapters of intake's ports; intake's keys only, under its own prefix."""
