"""The deal register for the organiser (`expo/domain/deals.py` tallies it)."""

from __future__ import annotations

from karakoram.expo.domain.deals import RegisterRow, tally
from karakoram.expo.services.context import ExpoContext


def deal_register(ctx: ExpoContext) -> list[RegisterRow]:
    with ctx.uow() as uow:
        return tally(uow.deal_shipments(), uow.clearance_results())
