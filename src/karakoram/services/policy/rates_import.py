"""Import exchange rates from a file the operator downloaded (SDMX-CSV or the documented CSV):
the rates are added to the table in force, and the result is stored and activated as a new
version (and, as after any activation, the declarations that waited for a rate are assessed).
A file that brings nothing new (the same file again) stores nothing."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from karakoram.domain.access import Principal, require_role
from karakoram.domain.duties.exchange_rates import ExchangeRates
from karakoram.domain.duties.rates_file import parse_rates_csv
from karakoram.domain.duties.rates_merge import MergeCounts, merge_rates, rates_csv
from karakoram.domain.duties.sdmx_rates import parse_sdmx_rates
from karakoram.services.context import NodeContext
from karakoram.services.policy.documents import EDITORS, Kind, install_document


class RatesFormat(StrEnum):
    SDMX = "sdmx"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class RatesImport:
    """What an import did: whether it stored a new version, and the rates it counted."""

    created: bool
    #: the version in force afterwards (the new one, or the one that already had every rate)
    version: int | None
    counts: MergeCounts
    currencies: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "version": self.version,
            "added": self.counts.added,
            "changed": self.counts.changed,
            "unchanged": self.counts.unchanged,
            "currencies": list(self.currencies),
        }


def parse_rates(text: str, fmt: RatesFormat, ctx: NodeContext) -> ExchangeRates:
    """The rates of a file in `fmt`, in the node's currency; ValidationFailed lists every error."""
    parsers = ctx.policy.parsers
    if fmt is RatesFormat.SDMX:
        return parse_sdmx_rates(text, parsers.base_currency, parsers.currencies)
    return parse_rates_csv(text, parsers.base_currency, parsers.currencies)


def import_rates(
    text: str,
    fmt: RatesFormat,
    principal: Principal,
    ctx: NodeContext,
    source: str = "",
    reason: str | None = None,
) -> RatesImport:
    """Add the rates of `text` to the table in force, as a new active version when they add or
    change anything; the same file twice stores one version."""
    require_role(principal, *EDITORS[Kind.RATES])
    imported = parse_rates(text, fmt, ctx)
    with ctx.uow() as uow:
        ctx.policy.forget()  # compare with what is in force now, not a cached read
        policy = ctx.policy.current(uow)
    merged, counts = merge_rates(policy.rates, imported)
    currencies = tuple(sorted(imported.rates))
    if not counts.anything_new:
        return RatesImport(False, policy.rates_version, counts, currencies)
    named = f"{source} ({fmt.value})" if source else f"a {fmt.value} file"
    earlier = f"version {policy.rates_version}" if policy.rates_version else "no earlier table"
    comments = (
        f"Exchange rates ({merged.base_currency} per unit): {earlier}, with {counts.added} "
        f"rates added and {counts.changed} changed from {named}.",
    )
    doc = install_document(
        Kind.RATES,
        rates_csv(merged, comments),
        principal,
        ctx.policy,
        ctx.uow,
        ctx.clock,
        reason or f"import of {named}",
    )
    return RatesImport(True, doc.version, counts, currencies)
