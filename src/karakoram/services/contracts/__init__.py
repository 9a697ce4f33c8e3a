"""Contracts signed at the expo, at the customs node: drafts for its traders, the risk fact
"differs from contract", the three-way mirror and the clearance results told back (issue 19)."""
