"""The README's pictures of a contract's path from signature to the border (shoot.py calls
`shoot_contracts`): the contract signed by both parties at the expo, the exporter's draft at
its node opened in the Lodge form, the importer's declaration that differs from its contract
as the officer sees it (the contract as a third column), and the organiser's deal register.

`state["contracts"]` is what the demo's expo day kept in expo/access.json (demo/contract_day.py);
`state["node_keys"]` every user's API key at each node."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser

from shoot import WAIT_MS, person, save, sign_in  # type: ignore[import-not-found]

#: the officer's page of the import that differs from its contract, down to the contract's table
MIRROR_UNTIL = "section.contract-mirror table"


def shoot_contracts(browser: Browser, state: dict[str, Any]) -> None:
    contracts = state["expo"].get("contracts") or []
    if not contracts:
        print("  (no contracts in this demo: nothing to photograph of the signed agreements)")
        return
    expo, sides, keys = state["expo"], state["sides"], state["node_keys"]
    first = next((c for c in contracts if not c["caught"]), contracts[0])
    caught = next(c for c in contracts if c["caught"])
    with person(browser, expo["url"]) as page:
        sign_in(page, expo["participants"][first["seller"]], "**/ui/**")
        page.goto(f"/ui/contracts/{first['contract_id']}")
        save(page, "contract-1-signed", full=True)
    with person(browser, sides["CN"]["url"]) as page:
        sign_in(page, keys["CN"][first["seller_user"]])
        page.goto(f"/ui/lodge?draft={first['ucr']}")
        page.wait_for_selector("form", timeout=WAIT_MS)
        save(page, "contract-2-lodge-from-draft", full=True)
    with person(browser, sides["PK"]["url"]) as page:
        sign_in(page, sides["PK"]["keys"]["officer"])
        page.goto(f"/ui/declarations/{caught['import_mrn']}")
        save(page, "contract-3-differs-from-contract", until=MIRROR_UNTIL)
    with person(browser, expo["url"]) as page:
        sign_in(page, expo["organiser_key"], "**/ui/**")
        page.goto("/ui/organiser/deals")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=WAIT_MS)
        save(page, "contract-4-deal-register", full=True)
