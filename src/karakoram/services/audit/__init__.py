"""The tamper-evident history: every state change is appended, in the same transaction, to a
hash-chained audit log (`chain`); `verify_audit` recomputes the chain from the stored bytes and
names the first broken link; `checkpoints` signs the chain's head."""
