"""The audit log's storage: changes recorded during a unit of work are chained and appended
when it commits, after locking the one-row chain head (SELECT ... FOR UPDATE on PostgreSQL,
where several API workers write at once; on SQLite the writer lock and `TurnLock` serialise
commits), so that two commits never chain to the same predecessor."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from karakoram.adapters.db.tables import (
    audit_checkpoints,
    audit_head,
    audit_log,
    partner_checkpoints,
)
from karakoram.services.audit.chain import AuditEntry, StoredRow, chain, time_text
from karakoram.services.audit.checkpoints import Checkpoint
from karakoram.services.records import PartnerCheckpoint

_l = audit_log.c
# the entry's time as `services.audit.chain.time_text` writes it into the hashed bytes
_ENTRIES = "SELECT seq, {at}, actor, kind, subject, canonical, hash FROM audit_log"
_ENTRIES_SQLITE = (
    _ENTRIES.format(at="substr(at, 1, 10) || 'T' || substr(at, 12) || '+00:00'")
    + " WHERE seq > ? ORDER BY seq LIMIT ?"
)
_ENTRIES_PG = (
    _ENTRIES.format(at="""to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')""")
    + " WHERE seq > %s ORDER BY seq LIMIT %s"
)


@dataclass(frozen=True)
class _Appends:
    """The append's statements in one driver's parameter style."""

    head: str
    append: str
    move: str


#: on PostgreSQL, where several API workers write at once, the head row is locked until commit;
#: SQLite's writer lock (and `TurnLock`) already serialise commits
_PG = _Appends(
    "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
    "INSERT INTO audit_log (seq, at, actor, kind, subject, canonical, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s)",
    "UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1",
)
_SQLITE = _Appends(
    "SELECT seq, hash FROM audit_head WHERE id = 1",
    "INSERT INTO audit_log (seq, at, actor, kind, subject, canonical, hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)",
    "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1",
)


def _sqlite_time(at: datetime) -> str:
    """`at` as SQLAlchemy's DateTime stores it in SQLite (what `UTCDateTime` reads back)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def utc_now() -> datetime:
    return datetime.now(UTC)


class SqlAuditLog:
    def __init__(
        self, conn: Connection, clock: Callable[[], datetime] = utc_now, enabled: bool = True
    ) -> None:
        self._conn = conn
        self._clock = clock
        self._enabled = enabled
        self._pending: list[AuditEntry] = []
        #: changes to one subject in one transaction become one entry (lodging a declaration
        #: records its events and assessment together)
        self._by_subject: dict[tuple[str, str], AuditEntry] = {}

    def record(self, kind: str, subject: str, actor: str, data: Mapping[str, Any]) -> None:
        if not self._enabled:
            return
        group = kind.split(".", 1)[0]
        change = {"kind": kind, "by": actor, **data}
        entry = self._by_subject.get((group, subject))
        if entry is None:
            entry = AuditEntry(kind, subject, actor, {"changes": [change]})
            self._by_subject[group, subject] = entry
            self._pending.append(entry)
        else:
            entry.data["changes"].append(change)

    def append_pending(self) -> None:
        """Chain what was recorded after the head and append it (called by commit). Three
        statements straight to the driver, prepared once per connection by it: inside the
        writer's turn every microsecond counts against the node's lodgement rate
        (benchmarks/costs.py measures the log's cost)."""
        if not self._pending:
            return
        postgres = self._conn.dialect.name == "postgresql"
        sql = _PG if postgres else _SQLITE
        cursor = self._cursor()
        try:
            cursor.execute(sql.head)
            seq, last = cursor.fetchone()
            chained = chain(self._pending, seq, last, self._clock())
            cursor.executemany(
                sql.append,
                [
                    (
                        e.seq,
                        e.at if postgres else _sqlite_time(e.at),
                        e.actor,
                        e.kind,
                        e.subject,
                        e.canonical,
                        e.hash,
                    )
                    for e in chained
                ],
            )
            end = chained[-1]
            cursor.execute(sql.move, (end.seq, end.hash))
        finally:
            cursor.close()
        self.discard()

    def _cursor(self) -> Any:
        """A cursor of the driver's connection, inside this unit of work's transaction."""
        return self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]

    def discard(self) -> None:
        self._pending = []
        self._by_subject = {}

    def mark(self) -> tuple[int, dict[tuple[str, str], int]]:
        """Where the recording stands now, for `restore` (a savepoint of the unit of work)."""
        return len(self._pending), {k: len(e.data["changes"]) for k, e in self._by_subject.items()}

    def restore(self, mark: tuple[int, dict[tuple[str, str], int]]) -> None:
        """Forget what was recorded since `mark` (its savepoint was rolled back)."""
        count, sizes = mark
        del self._pending[count:]
        self._by_subject = {k: e for k, e in self._by_subject.items() if k in sizes}
        for key, entry in self._by_subject.items():
            del entry.data["changes"][sizes[key] :]

    def head(self) -> tuple[int, str]:
        head = audit_head.c
        seq, last = self._conn.execute(select(head.seq, head.hash).where(head.id == 1)).one()
        return int(seq), str(last)

    def entries(self, after: int, limit: int) -> Sequence[StoredRow]:
        """Straight from the driver, times written as text by the database: verification
        runs near hashing speed only without a Python conversion per row."""
        postgres = self._conn.dialect.name == "postgresql"
        cursor = self._cursor()
        try:
            cursor.execute(_ENTRIES_PG if postgres else _ENTRIES_SQLITE, (after, limit))
            rows = cast(list[StoredRow], cursor.fetchall())
        finally:
            cursor.close()
        return rows if not postgres else [(*r[:5], bytes(r[5]), r[6]) for r in rows]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        c = checkpoint
        self._conn.execute(
            insert(audit_checkpoints).values(size=c.size, head=c.head, at=c.at, token=c.token)
        )

    def checkpoints(self) -> list[Checkpoint]:
        c = audit_checkpoints.c
        query = select(c.size, c.head, c.at, c.token).order_by(c.id)
        return [Checkpoint(*row) for row in self._conn.execute(query)]

    def add_partner_checkpoints(self, checkpoints: Sequence[PartnerCheckpoint]) -> None:
        if not checkpoints:
            return
        dialect: Any = postgresql if self._conn.dialect.name == "postgresql" else sqlite
        rows = [
            {
                "administration": c.administration,
                "size": c.size,
                "head": c.head,
                "at": c.at,
                "token": c.token,
                "received_at": c.received_at,
            }
            for c in checkpoints
        ]
        statement = dialect.insert(partner_checkpoints).on_conflict_do_nothing(
            index_elements=["administration", "size", "head"]
        )
        self._conn.execute(statement, rows)

    def partner_checkpoints(self, administration: str) -> list[PartnerCheckpoint]:
        c = partner_checkpoints.c
        query = (
            select(c.administration, c.size, c.head, c.at, c.token, c.received_at)
            .where(c.administration == administration)
            .order_by(c.size, c.id)
        )
        return [PartnerCheckpoint(*row) for row in self._conn.execute(query)]

    def of_subject(self, subject: str) -> list[tuple[int, bytes, str]]:
        """The entries of one subject in chain order: seq, canonical bytes, hash (one query
        along the (subject, seq) index; services/audit/timeline.py)."""
        query = select(_l.seq, _l.canonical, _l.hash).where(_l.subject == subject).order_by(_l.seq)
        return [(int(r.seq), bytes(r.canonical), str(r.hash)) for r in self._conn.execute(query)]

    def with_prefix(self, prefix: str) -> list[tuple[int, str, bytes, str]]:
        """The entries whose subject starts with `prefix`, in chain order: seq, subject,
        canonical bytes, hash (a range along the (subject, seq) index; the registers' check)."""
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        query = (
            select(_l.seq, _l.subject, _l.canonical, _l.hash)
            .where(_l.subject >= prefix, _l.subject < after)
            .order_by(_l.seq)
        )
        rows = self._conn.execute(query)
        return [(int(r.seq), str(r.subject), bytes(r.canonical), str(r.hash)) for r in rows]

    def trail(
        self, subject: str | None, actor: str | None, before: int | None, limit: int
    ) -> list[StoredRow]:
        """Entries of one subject and/or one actor, newest first, below `before` (a page of
        the trail an officer's supervisor reads: along the (subject, seq) and (actor, seq)
        indexes)."""
        query = select(
            _l.seq, _l.at, _l.actor, _l.kind, _l.subject, _l.canonical, _l.hash
        ).order_by(_l.seq.desc())
        if subject is not None:
            query = query.where(_l.subject == subject)
        if actor is not None:
            query = query.where(_l.actor == actor)
        if before is not None:
            query = query.where(_l.seq < before)
        rows = self._conn.execute(query.limit(limit))
        return [
            (int(r.seq), time_text(r.at), r.actor, r.kind, r.subject, bytes(r.canonical), r.hash)
            for r in rows
        ]
