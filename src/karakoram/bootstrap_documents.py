"""The composition root's part for documents (issue 17), called by `bootstrap`: where attached
documents are kept (a folder beside a SQLite file, the database on PostgreSQL), the release
note's PDF maker, and the verifier of release notes that needs no node at all (the offline
`karakoram verify-release`). Kept apart from bootstrap.py, which is at its length limit."""

from __future__ import annotations

from sqlalchemy import Engine

from karakoram.adapters.db.attachment_blobs import FileAttachmentStore, SqlAttachmentStore
from karakoram.adapters.exchange.signing import JwsCrypto, JwsVerifier
from karakoram.adapters.release_pdf import WeasyReleaseNotes
from karakoram.config import Settings
from karakoram.services.context import NodeContext
from karakoram.services.ports import AttachmentStore, TokenVerifier


def attachment_store(settings: Settings, engine: Engine) -> AttachmentStore:
    folder = settings.attachments_path()
    return FileAttachmentStore(folder) if folder is not None else SqlAttachmentStore(engine)


def wire_documents(settings: Settings, engine: Engine, ctx: NodeContext) -> None:
    """Give the node's context its attachment store, limit and release-note maker."""
    ctx.attachments = attachment_store(settings, engine)
    ctx.attachment_max_bytes = settings.attachment_max_bytes
    ctx.release_notes = WeasyReleaseNotes()
    if ctx.exchange is not None and isinstance(ctx.exchange.crypto, JwsCrypto):
        ctx.exchange.own_key = ctx.exchange.crypto.public_key()


def token_verifier() -> TokenVerifier:
    """A JWS verifier with no key of its own (keys are given to each check)."""
    return JwsVerifier()
