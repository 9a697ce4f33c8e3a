"""Benchmark-only switches, applied at interpreter start-up when `BENCH_VARIANT` is set.

`benchmarks/costs.py` starts servers and importers with this folder on PYTHONPATH, so that the
processes uvicorn spawns get the same switch; no setting of the node reaches them:
- `audit-off`: units of work append no audit entries (`SqlUnitOfWorkFactory(audit=False)`);
- `sync-normal`: SQLite node databases run `synchronous=NORMAL` instead of FULL.
"""

from __future__ import annotations

import os
from typing import Any

_VARIANT = {v for v in os.environ.get("BENCH_VARIANT", "").split(",") if v}

if "audit-off" in _VARIANT:
    from karakoram.adapters.db import uow as _uow

    _init = _uow.SqlUnitOfWorkFactory.__init__

    def _without_audit(self: Any, engine: Any, *, audit: bool = True, **options: Any) -> None:
        _init(self, engine, audit=False, **options)

    _uow.SqlUnitOfWorkFactory.__init__ = _without_audit  # type: ignore[method-assign]

if "sync-normal" in _VARIANT:
    from sqlalchemy import event

    from karakoram.adapters.db import engine as _engine

    _build = _engine.build_engine

    def _normal(url: str, **options: Any) -> Any:
        built = _build(url, **options)
        if built.dialect.name == "sqlite":
            event.listen(
                built, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=NORMAL")
            )
        return built

    _engine.build_engine = _normal
