"""The TRS measures the gate (issue 15, docs/gate.md "Clearance time"): a presented and
cleared import shows its presentation and clearance stages and is timed from presentation;
a declaration taken in from a fallback file is counted as such, timed from its capture; an
analytical copy written before these columns existed still answers. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq

from karakoram.adapters.analytics.schema import DECLARATIONS
from karakoram.domain.gate.fallback import Kind
from karakoram.services.gate.fallback import take_in
from karakoram.services.statistics import refresh as refreshing
from tests.builders import declaration, import_declaration, present_goods
from tests.integration.test_clearance import act, goods, lodge
from tests.integration.test_fallback import OFFICER, T0, _desk, clock  # noqa: F401
from tests.integration.test_gate_release import paid_import, policy  # noqa: F401


def trs(client, keys, period: str) -> dict:
    answer = client.get(f"/stats/trs?period={period}", headers=keys.analyst)
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["overall"])


def test_a_presented_and_cleared_import_shows_the_gate_stages(client, keys, node):
    green = paid_import(client, keys, "IM-TRS-1")  # lodged and paid before its truck
    presented = present_goods(client, node, keys.officer, green["ucr"])
    assert presented["report"]["status"] == "cleared"
    refreshing.refresh(node.ctx)
    overall = trs(client, keys, str(datetime.now(UTC).year))
    assert (overall["declarations"], overall["released"], overall["fallback"]) == (1, 1, 0)
    stages = overall["stages"]
    assert stages["presentation"]["count"] == 1 and stages["cleared"]["count"] == 1
    assert stages["cleared"]["median_s"] == 0.0  # the truck cleared as it was presented
    assert stages["release"]["median_s"] == 0.0  # released by the presentation itself
    # clearance time from presentation: none for a pre-lodged green import
    assert (overall["total"]["count"], overall["total"]["median_s"]) == (1, 0.0)


def test_an_import_presented_before_its_inspection_is_timed_from_presentation(client, keys, node):
    doc = goods(import_declaration("IM-TRS-2"), "740311")  # red under the test rules
    body = lodge(client, keys, doc, keys.importer)
    assert (body["status"], body["channel"]) == ("assessed", "red")
    present_goods(client, node, keys.officer, doc["ucr"])
    act(client, keys, body["mrn"], "inspect", findings={"notes": "as declared"})
    pay = {"reference": "TRX-TRS-2", "amount": body["amount_due"], "currency": "CNY"}
    paid = client.post(f"/declarations/{body['mrn']}/payments", json=pay, headers=keys.officer)
    assert paid.status_code == 201, paid.text
    if paid.json()["status"] != "cleared":
        act(client, keys, body["mrn"], "release")
    refreshing.refresh(node.ctx)
    overall = trs(client, keys, str(datetime.now(UTC).year))
    assert overall["released"] == 1
    assert overall["stages"]["presentation"]["count"] == 1
    assert overall["stages"]["cleared"]["count"] == 1
    assert overall["total"]["count"] == 1 and overall["total"]["median_s"] >= 0.0


def test_a_declaration_taken_in_from_a_fallback_file_is_counted_as_fallback(
    client,
    keys,
    node,
    clock,  # noqa: F811
    tmp_path,
):
    desk = _desk(node, tmp_path)
    arrival = {"ucr": "UCR-FB-TRS-1", "office": "CNKJB"}
    desk.capture(Kind.ARRIVAL, arrival, T0 + timedelta(minutes=30))
    desk.capture(Kind.DECLARATION, declaration("FB-TRS-1"), T0 + timedelta(hours=1))
    clock[0] = T0 + timedelta(days=1)
    assert len(take_in(desk.lines, OFFICER, node.ctx).taken) == 2
    lodge(client, keys, import_declaration("ON-TRS-1"), keys.importer)  # online, a day later
    refreshing.refresh(node.ctx)
    overall = trs(client, keys, "2026-11")
    assert (overall["declarations"], overall["fallback"]) == (2, 1)
    day = trs(client, keys, "2026-11-02..2026-11-02")  # the capture's day, not the intake's
    assert (day["declarations"], day["fallback"]) == (1, 1)
    assert day["stages"]["lodgement"]["median_s"] == 1800.0  # arrival to the captured lodgement


def test_a_copy_written_before_the_gate_columns_still_answers_and_refreshes(client, keys, node):
    lodge(client, keys, import_declaration("IM-TRS-OLD"), keys.importer)
    refreshing.refresh(node.ctx)
    root = node.ctx.analytics.root  # type: ignore[union-attr]
    for path in root.glob("declarations/*/data.parquet"):  # as an older node wrote it
        table = pq.read_table(path)
        pq.write_table(table.drop(["fallback", "presented_at", "to_presentation_s",
                                   "to_cleared_s"]), path)  # fmt: skip
    node.ctx.analytics._db = None  # type: ignore[union-attr]  # a node started afresh
    year = str(datetime.now(UTC).year)
    overall = trs(client, keys, year)
    assert (overall["declarations"], overall["fallback"]) == (1, 0)
    assert overall["stages"]["presentation"]["count"] == 0
    lodge(client, keys, import_declaration("IM-TRS-NEW"), keys.importer)
    refreshing.refresh(node.ctx)
    assert trs(client, keys, year)["declarations"] == 2
    for path in root.glob("declarations/*/data.parquet"):
        assert pq.read_schema(path).names == DECLARATIONS.names
