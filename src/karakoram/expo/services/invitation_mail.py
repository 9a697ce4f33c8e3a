"""Meeting invitations by e-mail: when the scheduler places a meeting, each participant that gave
an address (with its availability) gets the meeting's .ics as a request (`text/calendar;
method=REQUEST`), through the same SMTP sender as the customs node's notifications.

The mails are queued in the same transaction as the meetings (an outbox: `meetings.py`), then
sent with no transaction open; a failure is retried with backoff until `MAX_ATTEMPTS`, then
kept as dead with its error. A claimed mail is leased for `LEASE` so two senders (the
`schedule` command and the serving expo's loop) do not send it twice; one mail per meeting and
participant, ever.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.invitations import invitation
from karakoram.expo.services.meetings import meeting_for
from karakoram.expo.services.records import InvitationMail

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
LEASE = timedelta(minutes=2)


@dataclass
class MailRun:
    sent: int = 0
    retried: int = 0
    dead: int = 0


def send_invitations(ctx: ExpoContext, limit: int = 50) -> MailRun:
    """Send the invitations that are due; none without a configured SMTP server."""
    run = MailRun()
    if ctx.mailer is None:
        return run
    now = ctx.clock()
    with ctx.uow() as uow:
        due = uow.due_invitation_mails(now, limit)
        uow.lease_invitation_mails([m.id for m in due], now + LEASE)
        uow.commit()
    outcomes = [(mail, _send(ctx, mail)) for mail in due]
    with ctx.uow() as uow:
        for mail, error in outcomes:
            if error is None:
                uow.invitation_sent(mail.id, ctx.clock())
                run.sent += 1
                continue
            dead = mail.attempts + 1 >= MAX_ATTEMPTS
            retry = min(MAX_RETRY, FIRST_RETRY * 2**mail.attempts)
            uow.invitation_failed(mail.id, error, None if dead else ctx.clock() + retry)
            run.dead += dead
            run.retried += not dead
        uow.commit()
    return run


def _send(ctx: ExpoContext, mail: InvitationMail) -> str | None:
    """One invitation, as its participant sees the meeting (its zone); the error or None."""
    assert ctx.mailer is not None
    with ctx.uow() as uow:
        who = uow.participant_by_id(mail.participant_id)
    if who is None:
        return "no such participant"
    view = meeting_for(mail.meeting_id, who, ctx)
    base = ctx.public_url.rstrip("/")
    room = f"{base}/ui/meetings/{mail.meeting_id}/room"
    host = urlsplit(base).hostname or "expo"
    ics = invitation(view, host, room, organizer=ctx.mailer.sender, attendee=mail.address)
    other = view.counterpart
    subject = f"Expo meeting with {other.name}: {view.starts:%Y-%m-%d %H:%M} ({view.zone})"
    text = (
        f"Your meeting with {other.name} ({other.country}) is scheduled.\n\n"
        f"Your time ({view.zone}): {view.starts:%Y-%m-%d %H:%M}-{view.ends:%H:%M}\n"
        f"UTC: {view.meeting.starts_at:%Y-%m-%d %H:%M}-{view.meeting.ends_at:%H:%M}\n"
        f"Room: {room}\n\nThe invitation is attached (expo-meeting-{mail.meeting_id}.ics).\n"
    )
    return ctx.mailer.send(mail.address, subject, text, ics)


def mail_loop(ctx: ExpoContext, interval: float, stop: threading.Event) -> None:
    """Send due invitations every `interval` seconds until `stop` is set (the serving expo's
    worker); a pass that fails is logged and the next one tries again."""
    while not stop.wait(interval):
        try:
            send_invitations(ctx)
        except Exception:
            log.exception("sending meeting invitations failed; retrying next pass")
