"""Use cases: one handler per command, a unit of work per transaction, read-side queries."""
