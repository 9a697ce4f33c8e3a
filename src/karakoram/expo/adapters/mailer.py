"""The expo's invitation mailer: one e-mail with the meeting's .ics attached as
`text/calendar; method=REQUEST`, handed over by the customs node's own SMTP sender
(`karakoram.adapters.notify.sender.send_mail`: STARTTLS, login, one outcome, no exception)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from karakoram.adapters.notify.sender import SmtpSettings, send_mail


class SmtpInvitationMailer:
    """`InvitationMailer` over SMTP."""

    def __init__(self, smtp: SmtpSettings, timeout: float = 10.0) -> None:
        self._smtp, self._timeout = smtp, timeout
        self.sender = smtp.sender

    def send(self, to: str, subject: str, text: str, ics: bytes) -> str | None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(text)
        message.add_attachment(
            ics,
            maintype="text",
            subtype="calendar",
            params={"method": "REQUEST", "charset": "utf-8"},
            filename="invitation.ics",
        )
        outcome = send_mail(self._smtp, message, self._timeout)
        return None if outcome.ok else outcome.error or "the SMTP server did not take it"
