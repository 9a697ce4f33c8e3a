"""The expo: a trade fair service beside the customs nodes, with its own database.

Layers as in the node: `domain/` (standard library and the node's domain only), `services/`
(use cases over ports, taking an `ExpoContext`), `adapters/` (tables, migrations, search, the
JWS verifier), `entrypoints/` (the FastAPI app and the `karakoram expo` commands), and one
composition root, `bootstrap.py`.
"""
