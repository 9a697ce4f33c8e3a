"""The gate's services: cargo reports, presentation and write-off (docs/gate.md)."""
