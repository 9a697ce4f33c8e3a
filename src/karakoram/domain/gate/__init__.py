"""The gate: trucks, what they carry (cargo reports), and their presentation at the post.

docs/gate.md draws the state machines these modules enforce.
"""
