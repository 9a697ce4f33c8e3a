"""The partner as witness of our history: it keeps the checkpoints we send it, and `audit verify`
asks it for them over the exchange and compares them with the chain recomputed here.

An insider with database rights and the node's key can rewrite the chain, re-hash it and
re-sign (or delete) the local checkpoints; the copies the partner holds were signed before and
are out of their reach. The question is a JWS signed by the asking node (`checkpoints_query`);
the partner checks it against its partner keys and answers with the tokens it holds of the
asker only (`held_checkpoints`). The asker keeps only tokens that are its own signature over a
checkpoint of its own chain, and compares each (size, head) with the chain (`judge`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from karakoram.domain.exchange.bodies import MessageType
from karakoram.domain.exchange.envelope import Refused
from karakoram.services.audit.chain import BrokenLink, ChainCheck
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import DeliveryFailed, ExchangeConfig
from karakoram.services.exchange.receive import check_not_revoked
from karakoram.services.ports import PeerTransport, UnitOfWorkFactory

QUERY_KIND = "audit_checkpoints"


def checkpoints_query(config: ExchangeConfig, partner: str, now: datetime) -> str:
    """The signed question "which of my checkpoints do you hold?" to `partner`."""
    return config.crypto.sign(
        {
            "kind": QUERY_KIND,
            "sender": config.me,
            "recipient": partner,
            "created_at": now.isoformat(),
        }
    )


def held_checkpoints(
    token: str, config: ExchangeConfig, uow_factory: UnitOfWorkFactory, now: datetime
) -> list[str]:
    """For a partner's signed question: the tokens of its checkpoints this node holds.
    `Refused` (nothing answered) unless the question is signed by a partner's valid key,
    addressed to this node, and made within the clock window's few minutes of now."""
    message = config.crypto.decode(token)
    sender = message.sender
    with uow_factory() as uow:
        if uow.exchange.partner(sender) is None:
            raise Refused("unknown_sender", f"{sender or 'The sender'} is not a partner.")
        keys = uow.exchange.keys(sender)
        check_not_revoked(message.kid, keys, sender, now)
        config.crypto.verify(message, keys, sender, now)
        query = message.payload
        if query.get("recipient") != config.me or query.get("kind") != QUERY_KIND:
            raise Refused("wrong_recipient", "Not a question about checkpoints for this node.")
        _check_fresh(query, config, now)
        return [c.token for c in uow.audit.partner_checkpoints(sender)]


def _check_fresh(query: dict[str, Any], config: ExchangeConfig, now: datetime) -> None:
    """A question is answered within minutes of its making: a copied one cannot be replayed."""
    try:
        created = datetime.fromisoformat(str(query.get("created_at")))
    except ValueError as exc:
        raise Refused("schema", "created_at is not an ISO 8601 time.") from exc
    if created.tzinfo is None:
        raise Refused("schema", "created_at must carry a time zone.")
    slack = config.delivery_skew
    if not now - slack <= created <= now + slack:
        raise Refused(
            "outside_clock_window",
            f"The question was made at {created.isoformat()}, more than {slack} from now.",
        )


@dataclass(frozen=True, slots=True)
class Copy:
    """One checkpoint of ours as a partner holds it, its signature checked."""

    size: int
    head: str
    at: str


@dataclass(frozen=True, slots=True)
class Answer:
    """What one partner said: the copies (None when it could not be asked) and why not."""

    partner: str
    copies: list[Copy] | None
    #: tokens it returned that are not this node's signature over one of its checkpoints
    foreign: int = 0
    reason: str = ""


def ask_partners(ctx: NodeContext, peer: PeerTransport | None) -> list[Answer]:
    """Ask every partner that shares audit checkpoints for its copies of ours."""
    config = ctx.exchange
    if config is None:
        return []
    with ctx.uow() as uow:
        witnesses = [
            p
            for p in uow.exchange.partners()
            if MessageType.AUDIT_CHECKPOINT.value in p.message_types
        ]
    answers = []
    for p in witnesses:
        if peer is None:
            answers.append(Answer(p.administration, None, reason="no partner client here"))
            continue
        query = checkpoints_query(config, p.administration, ctx.clock())
        try:
            tokens = peer.checkpoints(p.base_url, query)
        except DeliveryFailed as exc:
            reason = f"its copies could not be had ({exc})"
            answers.append(Answer(p.administration, None, reason=reason))
            continue
        copies, foreign = own_copies(config, tokens)
        answers.append(Answer(p.administration, copies, foreign))
    return answers


def own_copies(config: ExchangeConfig, tokens: Iterable[str]) -> tuple[list[Copy], int]:
    """The tokens that are this node's own signature over a checkpoint of its chain, and how
    many are not (another's, or signed with an earlier key of ours)."""
    found = [_own_copy(config, token) for token in tokens]
    copies = [c for c in found if c is not None]
    return copies, len(found) - len(copies)


def _own_copy(config: ExchangeConfig, token: str) -> Copy | None:
    """Ed25519 is deterministic: a token is ours when signing its payload again gives it."""
    try:
        payload = config.crypto.decode(token).payload
    except Refused:
        return None
    size, head = payload.get("size"), payload.get("head")
    if type(size) is not int or not isinstance(head, str):
        return None
    if payload.get("type") != "audit_checkpoint" or payload.get("administration") != config.me:
        return None
    if config.crypto.sign(payload) != token:
        return None
    return Copy(size, head, str(payload.get("at")))


def wanted_sizes(answers: Sequence[Answer]) -> list[int]:
    """The chain sizes whose hashes the pass must remember to compare the partners' copies."""
    return [c.size for a in answers for c in a.copies or ()]


@dataclass(frozen=True, slots=True)
class PartnerVerdict:
    #: the report's partner line
    line: str
    #: the first entry a partner's copy contradicts
    broken: BrokenLink | None
    #: True when every witness answered and agreed; False when one did not answer or
    #: disagreed; None when there is no witness to ask
    agrees: bool | None


def judge(answers: Sequence[Answer], check: ChainCheck, local: BrokenLink | None) -> PartnerVerdict:
    """Compare each partner's copies with the chain as recomputed (`check`)."""
    if not answers:
        return PartnerVerdict("not checked: no partner shares audit checkpoints", None, None)
    lines: list[str] = []
    broken: BrokenLink | None = None
    agrees = True
    for a in answers:
        if a.copies is None:
            lines.append(f"not checked: {a.partner}: {a.reason}")
            agrees = False
            continue
        if local is not None:
            lines.append(f"not compared: {a.partner} answered, but the chain is broken here")
            agrees = False
            continue
        found = _first_difference(a, check)
        agrees = agrees and found is None
        if found is not None:
            lines.append(f"{a.partner}: {found.problem}")
            broken = found if broken is None or found.seq < broken.seq else broken
        else:
            lines.append(_agreement(a))
    return PartnerVerdict("; ".join(lines), broken, agrees)


def _agreement(a: Answer) -> str:
    assert a.copies is not None
    n = len(a.copies)
    line = (
        f"{a.partner}: {n} checkpoint agrees" if n == 1 else f"{a.partner}: {n} checkpoints agree"
    )
    if a.foreign:
        line += f" ({a.foreign} not signed by this node's current key, not compared)"
    return line


def _first_difference(a: Answer, check: ChainCheck) -> BrokenLink | None:
    for c in sorted(a.copies or (), key=lambda c: c.size):
        if c.size > check.seq:
            return BrokenLink(
                check.seq + 1,
                f"the partner's copy of the checkpoint of entry {c.size} lies beyond the chain "
                f"({check.seq} entries): the chain was truncated",
            )
        if check.at_size.get(c.size) != c.head:
            return BrokenLink(
                c.size,
                f"the partner's copy of the checkpoint of entry {c.size} differs: "
                "the chain was rewritten",
            )
    return None
