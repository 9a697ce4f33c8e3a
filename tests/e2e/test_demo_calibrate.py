"""`karakoram demo --calibrate`: the China side's year comes out at the asked total."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from karakoram.demo.run import run_simulation, start_demo
from tests.builders import free_port
from tests.e2e.test_demo import OPTIONS


def test_the_calibrated_year_prints_the_asked_total(tmp_path):
    options = dataclasses.replace(
        OPTIONS, days=6, trucks_per_day=20, outage=0, calibrate=150e6, lossy=0.0
    )
    run = start_demo(options, tmp_path / "demo", free_port())
    try:
        run_simulation(options, run.sides, list(run.links.values()), run.catalogue)
        cn = run.sides["CN"]
        cn.call("analyst", "POST", "/stats/refresh").raise_for_status()
        bulletin = cn.call("analyst", "GET", "/stats/bulletin?period=2022&currency=CNY").json()
    finally:
        run.close()
    # the bulletin prints millions to one decimal: 150.0
    total = Decimal(bulletin["total"]["value"]) / Decimal(10**6)
    assert abs(total - Decimal(150)) < Decimal("0.05"), total
