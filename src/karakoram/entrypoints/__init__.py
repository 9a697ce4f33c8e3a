"""Entrypoints: the HTTP API, the CLI (and later the web UI and the exchange endpoint)."""
