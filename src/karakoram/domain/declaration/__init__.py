"""declaration."""
