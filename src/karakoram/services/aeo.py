"""The AEO register: operators certified by this administration (and by partners under mutual
recognition). Risk reads AEO status from here as of the lodgement; a declaration's own `aeo`
flag is ignored."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from karakoram.domain.access import Capability, Principal, Role, require_role, roles_with
from karakoram.domain.declaration.model import Declaration, DeclarationType, Party
from karakoram.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from karakoram.domain.exchange.bodies import AeoList, MessageType
from karakoram.domain.representation import AEO_LEVELS, LOCAL, AeoEntry
from karakoram.domain.risk.facts import Assessable, RiskSubject, parties
from karakoram.domain.risk.rule_file import parse_rule_set
from karakoram.services.context import NodeContext
from karakoram.services.exchange.config import configured
from karakoram.services.exchange.emit import emit_to
from karakoram.services.mandates import _identifier, _period
from karakoram.services.policy.documents import Kind
from karakoram.services.ports import UnitOfWork
from karakoram.services.records import OutboxMessage

READERS = tuple(roles_with(Capability.READ_AEO_REGISTER))


@dataclass(frozen=True, slots=True)
class Registered:
    entry: AeoEntry
    created: bool


def register_aeo(
    identifier: str,
    level: str,
    valid_from: datetime | None,
    valid_to: datetime | None,
    actor: Principal,
    ctx: NodeContext,
) -> Registered:
    """Record a certification by this administration; the same entry again answers the one
    recorded and changes nothing."""
    require_role(actor, Role.SUPERVISOR)
    ident = _identifier(identifier, "/identifier")
    level = (level or "").strip().upper()
    if level not in AEO_LEVELS:
        raise ValidationFailed(
            [FieldError("invalid_level", "/level", f"One of {', '.join(AEO_LEVELS)}.")]
        )
    now = ctx.clock()
    start = valid_from or now
    _period(start, valid_to)
    with ctx.uow() as uow:
        for e in uow.register.aeo_entries([ident]):
            same = (e.level, e.valid_from, e.valid_to, e.source) == (level, start, valid_to, LOCAL)
            if same:
                return Registered(e, created=False)
        added = uow.register.add_aeo(
            AeoEntry(ident, level, start, valid_to, LOCAL, actor.name, now)
        )
        queue_aeo_list(uow, ctx, now)
        uow.commit()
        return Registered(added, created=True)


def end_aeo(entry_id: int, actor: Principal, ctx: NodeContext) -> AeoEntry:
    """End a certification now (one already ended keeps its end)."""
    require_role(actor, Role.SUPERVISOR)
    now = ctx.clock()
    with ctx.uow() as uow:
        found = next((e for e in uow.register.aeo_entries() if e.id == entry_id), None)
        if found is None or found.source != LOCAL:
            raise NotFound(f"No certification {entry_id} of this administration.")
        if found.valid_to is not None and found.valid_to <= now:
            return found
        ended = uow.register.end_aeo(entry_id, max(now, found.valid_from))
        assert ended is not None
        queue_aeo_list(uow, ctx, now)
        uow.commit()
        return ended


def list_register(actor: Principal, ctx: NodeContext) -> list[AeoEntry]:
    require_role(actor, *READERS)
    with ctx.uow() as uow:
        return uow.register.aeo_entries()


def with_register_aeo(uow: UnitOfWork, d: Declaration, at: datetime) -> Declaration:
    """`d` with every party's `aeo` taken from the register at `at` (see `AeoStatus`)."""
    responsible, other = parties(d)
    ids = {d.declarant.identifier, responsible.identifier, other.identifier}
    return AeoStatus(uow.register.aeo_entries(ids)).mark(d, at)


class AeoStatus:
    """The register's answer to "was this party an AEO then?", the same for live risk and the
    back-test: the declarant and the responsible trader by this administration's
    certifications only, the trader on the other side also by the partners' lists received
    under mutual recognition (only operators an agreement covers are ever entered; the rule
    set's `mutual_recognition` still decides whether it counts). A declaration's own `aeo`
    flag counts for nothing."""

    def __init__(self, entries: Iterable[AeoEntry]) -> None:
        self._entries: dict[str, list[AeoEntry]] = {}
        for e in entries:
            self._entries.setdefault(e.identifier, []).append(e)
        self._marked: dict[tuple[Party, bool], Party] = {}

    def held(self, identifier: str, at: datetime, own_only: bool) -> bool:
        """Whether `identifier` was certified at `at` (by this administration, if `own_only`)."""
        found = self._entries.get(identifier)
        if not found:
            return False
        return any(e.in_force(at) and (e.source == LOCAL or not own_only) for e in found)

    def mark(self, d: Declaration, at: datetime) -> Declaration:
        changes = self._changes(d, at)
        return replace(d, **changes) if changes else d  # type: ignore[arg-type]

    def mark_subject(self, s: RiskSubject, at: datetime) -> RiskSubject:
        changes = self._changes(s, at)
        return s._replace(**changes) if changes else s  # type: ignore[arg-type]

    def _changes(self, d: Assessable, at: datetime) -> dict[str, Party]:
        responsible = "exporter" if d.type is DeclarationType.EXPORT else "importer"
        out: dict[str, Party] = {}
        for name, p in (
            ("declarant", d.declarant),
            ("exporter", d.exporter),
            ("importer", d.importer),
        ):
            held = self.held(p.identifier, at, own_only=name in ("declarant", responsible))
            if p.aeo != held:
                out[name] = self._party(p, held)
        return out

    def _party(self, p: Party, held: bool) -> Party:
        marked = self._marked.get((p, held))
        if marked is None:
            marked = self._marked[p, held] = replace(p, aeo=held)
        return marked


#: the levels a mutual recognition agreement covers (security: AEOS, and full AEOF)
RECOGNISED_LEVELS = frozenset({"AEOS", "AEOF"})


def apply_partner_list(
    uow: UnitOfWork,
    sender: str,
    sender_country: str,
    body: AeoList,
    recognised: frozenset[str],
    at: datetime,
) -> int:
    """Replace `sender`'s entries in the register with the operators of its list that the
    agreement covers: only when this node recognises `sender_country` (the active rule set's
    `mutual_recognition`), and only operators established there at a recognised level.
    How many entries now stand for the sender."""
    if sender_country not in recognised:
        return 0
    uow.register.end_aeo_source(partner_source(sender), at)
    applied = 0
    for identifier, raw in sorted(body.operators.items()):
        entry = _covered(identifier, raw, sender, sender_country, at)
        if entry is not None:
            uow.register.add_aeo(entry)
            applied += 1
    return applied


def _covered(
    identifier: str, raw: object, sender: str, country: str, at: datetime
) -> AeoEntry | None:
    if not isinstance(raw, dict) or not identifier or len(identifier) > 35:
        return None
    level = raw.get("level")
    if raw.get("country") != country or level not in RECOGNISED_LEVELS:
        return None
    try:
        start = datetime.fromisoformat(str(raw.get("valid_from")))
        end = datetime.fromisoformat(raw["valid_to"]) if raw.get("valid_to") else None
    except (TypeError, ValueError):
        return None
    if start.tzinfo is None or (end is not None and (end.tzinfo is None or end <= start)):
        return None
    source = partner_source(sender)
    return AeoEntry(identifier, str(level), start, end, source, source, at)


def partner_source(sender: str) -> str:
    """The register's `source` of the operators a partner's list names."""
    return f"partner {sender}"


def received_partner_list(
    uow: UnitOfWork, sender: str, sender_country: str, body: AeoList, at: datetime
) -> int | None:
    """Apply a partner's list as it arrives, under the active rule set's mutual recognition
    (none without an active rule set); a list issued before the last one applied from the
    same sender changes nothing (None)."""
    earlier = [
        r.body.get("issued_at", "")
        for r in uow.exchange.partner_records("")
        if r.sender == sender and r.type == MessageType.AEO_LIST.value
    ]
    if any(_instant(issued) > _instant(body.issued_at) for issued in earlier):
        return None
    doc = uow.policy.active(Kind.RULES.value)
    recognised = parse_rule_set(doc.source).selectivity.mutual_recognition if doc else frozenset()
    return apply_partner_list(uow, sender, sender_country, body, recognised, at)


def _instant(text: object) -> datetime:
    """A list's `issued_at`, comparable whatever the sender wrote (unreadable: the earliest)."""
    try:
        found = datetime.fromisoformat(str(text))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


class NoListTaker(Conflict):
    """No partner shares `aeo_list` messages: there is no one to send the register to."""

    code = "no_partner_takes_aeo_lists"


@dataclass(frozen=True, slots=True)
class SentList:
    messages: list[OutboxMessage]
    operators: int


def send_aeo_list(actor: Principal, ctx: NodeContext) -> SentList:
    """Queue this administration's register to every partner that takes AEO lists (signed,
    through the outbox); each message is the whole list and replaces the last one there."""
    require_role(actor, Role.SUPERVISOR)
    configured(ctx.exchange)
    now = ctx.clock()
    with ctx.uow() as uow:
        queued = queue_aeo_list(uow, ctx, now)
        if not queued:
            raise NoListTaker(
                "No partner takes AEO lists: add aeo_list to a partner's shared message types."
            )
        uow.commit()
        return SentList(queued, len(own_list(uow.register.aeo_entries(), "", now).operators))


def queue_aeo_list(uow: UnitOfWork, ctx: NodeContext, now: datetime) -> list[OutboxMessage]:
    """In the caller's transaction: the register as it now stands, to every partner that takes
    AEO lists (none when the exchange is not set up)."""
    if ctx.exchange is None:
        return []
    takers = [p for p in uow.exchange.partners() if MessageType.AEO_LIST.value in p.message_types]
    if not takers:
        return []
    body = own_list(uow.register.aeo_entries(), ctx.rules.country, now)
    return [emit_to(uow, ctx.exchange, now, p, body) for p in takers]


def own_list(entries: Iterable[AeoEntry], country: str, now: datetime) -> AeoList:
    """This administration's certifications not ended by `now`, one per operator (the one in
    force, else the next to start), as the partner reads them."""
    chosen: dict[str, AeoEntry] = {}
    for e in sorted(entries, key=lambda e: (not e.in_force(now), e.valid_from)):
        if e.source == LOCAL and (e.valid_to is None or e.valid_to > now):
            chosen.setdefault(e.identifier, e)
    operators = {
        ident: {
            "level": e.level,
            "country": country,
            "valid_from": e.valid_from.isoformat(),
            "valid_to": e.valid_to.isoformat() if e.valid_to else None,
        }
        for ident, e in sorted(chosen.items())
    }
    return AeoList(operators, now.isoformat())
