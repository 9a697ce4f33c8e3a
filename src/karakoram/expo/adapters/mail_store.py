"""The invitations half of the expo's unit of work: participants' e-mail addresses and the
outbox of meeting invitations (one row per meeting and participant, never two)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from karakoram.expo.adapters import tables as t
from karakoram.expo.services.records import InvitationMail


def _mail(r: Any) -> InvitationMail:
    due = r.due_at if r.due_at.tzinfo else r.due_at.replace(tzinfo=UTC)
    return InvitationMail(
        r.id, r.meeting_id, r.participant_id, r.address, r.status, r.attempts, r.last_error, due
    )


class MailStore:
    conn: Connection

    def set_contact(self, participant_id: int, email: str | None, at: datetime) -> None:
        c = t.contacts.c
        self.conn.execute(delete(t.contacts).where(c.participant_id == participant_id))
        if email:
            self.conn.execute(
                insert(t.contacts).values(participant_id=participant_id, email=email, updated_at=at)
            )

    def contacts(self, participant_ids: Sequence[int]) -> dict[int, str]:
        c = t.contacts.c
        rows = self.conn.execute(
            select(c.participant_id, c.email).where(c.participant_id.in_(list(participant_ids)))
        )
        return {int(r.participant_id): str(r.email) for r in rows}

    def add_invitation_mails(self, rows: Sequence[tuple[int, int, str]], at: datetime) -> int:
        c = t.invitation_mails.c
        added = 0
        for meeting_id, participant_id, address in rows:
            held = self.conn.execute(
                select(c.id).where(
                    (c.meeting_id == meeting_id) & (c.participant_id == participant_id)
                )
            ).first()
            if held is not None:
                continue
            self.conn.execute(
                insert(t.invitation_mails).values(
                    meeting_id=meeting_id, participant_id=participant_id, address=address,
                    status="pending", attempts=0, due_at=at, created_at=at,
                )
            )  # fmt: skip
            added += 1
        return added

    def due_invitation_mails(self, now: datetime, limit: int) -> list[InvitationMail]:
        c = t.invitation_mails.c
        query = (
            select(t.invitation_mails)
            .where((c.status == "pending") & (c.due_at <= now))
            .order_by(c.due_at, c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_mail(r) for r in self.conn.execute(query)]

    def lease_invitation_mails(self, mail_ids: Sequence[int], until: datetime) -> None:
        if mail_ids:
            c = t.invitation_mails.c
            self.conn.execute(
                update(t.invitation_mails).where(c.id.in_(list(mail_ids))).values(due_at=until)
            )

    def invitation_mails_of(self, meeting_id: int) -> list[InvitationMail]:
        c = t.invitation_mails.c
        query = select(t.invitation_mails).where(c.meeting_id == meeting_id).order_by(c.id)
        return [_mail(r) for r in self.conn.execute(query)]

    def invitation_sent(self, mail_id: int, at: datetime) -> None:
        c = t.invitation_mails.c
        self.conn.execute(
            update(t.invitation_mails)
            .where(c.id == mail_id)
            .values(status="sent", attempts=c.attempts + 1, sent_at=at, last_error=None)
        )

    def invitation_failed(self, mail_id: int, error: str, due_at: datetime | None) -> None:
        c = t.invitation_mails.c
        values: dict[str, Any] = {"attempts": c.attempts + 1, "last_error": error[:2000]}
        values |= {"status": "dead"} if due_at is None else {"due_at": due_at}
        self.conn.execute(update(t.invitation_mails).where(c.id == mail_id).values(**values))
