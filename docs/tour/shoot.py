"""Photograph the README's tour: what the default demo leaves waiting, the expo's path, and a
contract's path from signature to the border (shoot_contracts.py).

    .venv/bin/python docs/tour/shoot.py                          # a fresh default demo, then stop
    .venv/bin/python docs/tour/shoot.py --keep                   # ... and keep it serving
    .venv/bin/python docs/tour/shoot.py --demo .karakoram/demo   # a demo ./run.sh serves

Without `--demo` it plays the default demo as `karakoram demo` does (two nodes, a season of
trucks, the shift's work left waiting, the dead letter when the demo makes one, the expo and
its day) in its own work directory (`.karakoram/tour`, so a `./run.sh` demo is left alone).
With `--demo` it reads the keys a serving demo keeps (demo.json, expo/access.json) and asks the
nodes what waits. Then it signs in as each person through Debian's Chromium driven by
Playwright (never downloaded; KARAKORAM_CHROMIUM names another) and saves the PNGs beside this
file, reduced to 256 colours with Pillow. Every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import inspect
import json
import os
import random
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = Path(os.environ.get("KARAKORAM_CHROMIUM", "/usr/bin/chromium"))
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 60_000
#: the camera and microphone the meeting room asks for: Chromium's fake ones, no prompt
MEDIA_FLAGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
#: the held import's page down to the risk decision (the partner's figures and the gap above it)
HELD_UNTIL = "section.assessment table.rules"
#: where the participant whose path the tour follows says it is: its meeting grid in this zone
EXPO_ZONE = "Asia/Karachi"


# ---- the demo --------------------------------------------------------------------------------


def default_options() -> Any:
    """The options `karakoram demo` runs with when given none."""
    from karakoram.demo.run import Options
    from karakoram.entrypoints.cli.demo import demo

    defaults = {n: p.default for n, p in inspect.signature(demo).parameters.items()}
    return Options(**{f.name: defaults[f.name] for f in dataclasses.fields(Options)})


def play_demo(workdir: Path) -> tuple[Any, dict[str, Any]]:
    """The default demo, played to its end as `karakoram demo` plays it; the running demo and
    what the tour needs of it."""
    from karakoram.demo import run as demo_run
    from karakoram.demo.midshift import leave_work
    from karakoram.demo.model import make_traders

    opts = default_options()
    run = demo_run.start_demo(opts, workdir, 8000)
    try:
        demo_run.run_simulation(opts, run.sides, list(run.links.values()), run.catalogue)
        demo_run.play_expo_day(run.expo, run.nodes, opts.seed, opts.periods(), run.sides)
        waiting = leave_work(run.sides, make_traders(random.Random(opts.seed)), "")  # noqa: S311
        with contextlib.suppress(ImportError):  # the dead letter, once the demo makes one
            from karakoram.demo.dead_letter import leave_dead_letters  # type: ignore[import-not-found]

            configs = {n.spec.country: n.config for n in run.nodes}
            waiting = leave_dead_letters(run.sides, configs, waiting)
    except BaseException:
        run.close()
        raise
    first = opts.periods()[-1]
    state = {
        "period": [first.start.isoformat(), first.end.isoformat()],
        "sides": {
            name: {"url": side.url, "administration": side.administration}
            | {"keys": run.role_keys(name)}
            for name, side in run.sides.items()
        },
        "waiting": {
            next(n for n, s in run.sides.items() if s.administration == w.administration): (
                dataclasses.asdict(w)
            )
            for w in waiting
        },
        "expo": json.loads((run.expo.root / "access.json").read_text()),
        "node_keys": {name: side.keys for name, side in run.sides.items()},
    }
    return run, state


def running_demo(workdir: Path) -> dict[str, Any]:
    """What the tour needs of a demo `karakoram demo` (./run.sh) serves from `workdir`: its
    keys from demo.json and expo/access.json, what waits from the nodes' APIs."""
    demo = json.loads((workdir / "demo.json").read_text())
    first = default_options().periods()[-1]
    state: dict[str, Any] = {
        "period": [first.start.isoformat(), first.end.isoformat()],
        "sides": {},
        "waiting": {},
        "expo": json.loads((workdir / "expo" / "access.json").read_text()),
        "node_keys": {name: side["keys"] for name, side in demo["sides"].items()},
    }
    for name, side in demo["sides"].items():
        keys = {role: side["keys"][user] for role, user in side["roles"].items()}
        state["sides"][name] = {"url": side["url"], "administration": side["administration"]}
        state["sides"][name]["keys"] = keys
        state["waiting"][name] = _waiting_at(side["url"], keys, name)
    return state


def _waiting_at(url: str, keys: dict[str, str], name: str) -> dict[str, Any]:
    """What the demo left at one node (demo/midshift.py: LRNs IM-MS-<side>-<n>), from its API."""
    import httpx

    with httpx.Client(base_url=url, timeout=30) as http:

        def get(path: str, role: str) -> Any:
            answer = http.get(path, headers={"Authorization": f"Bearer {keys[role]}"})
            answer.raise_for_status()
            return answer.json()

        staged = {
            e["status"]: e["mrn"]
            for e in get("/queue", "officer")
            if get(f"/declarations/{e['mrn']}", "officer")["declaration"]["lrn"].startswith(
                f"IM-MS-{name}-"
            )
        }
        rules = get("/policy/rules", "supervisor")
    drafts = [r["version"] for r in rules if r["status"] == "draft"]
    return {
        "held": staged["held"],
        "documents_requested": staged["documents_requested"],
        "draft_rules": max(drafts),
    }


# ---- pictures --------------------------------------------------------------------------------


def save(page: Page, name: str, full: bool = False, until: str | None = None) -> Path:
    """The viewport (the whole page with `full`, or from the top to the bottom of the element
    `until`) as docs/tour/NAME.png, in 256 colours."""
    path = HERE / f"{name}.png"
    page.wait_for_load_state("networkidle")
    if until:
        box = page.locator(until).first.bounding_box()
        assert box is not None, f"{until} is not on {page.url}"
        width = page.evaluate("document.documentElement.scrollWidth")
        clip = {"x": 0, "y": 0, "width": width, "height": box["y"] + box["height"] + 16}
        page.screenshot(path=str(path), full_page=True, clip=clip)
    else:
        page.screenshot(path=str(path), full_page=full)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    print(f"  {path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB", flush=True)
    return path


@contextlib.contextmanager
def person(browser: Browser, base: str, size: dict[str, int] = VIEWPORT) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        base_url=base, viewport=size, locale="en-GB", timezone_id="UTC"
    )
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, key: str, landing: str = "**/ui") -> None:
    page.goto("/ui/sign-in")
    page.fill("#api_key", key)
    page.locator("#api_key").press("Enter")
    page.wait_for_url(landing)


def language(page: Page, code: str) -> None:
    """Choose the language in the header, as a reader does."""
    page.select_option("#language", code)
    page.click("form.language button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot_nodes(browser: Browser, state: dict[str, Any]) -> None:
    pk, cn = state["sides"]["PK"], state["sides"]["CN"]
    w = state["waiting"]["PK"]
    start, end = state["period"]
    with person(browser, pk["url"]) as page:
        sign_in(page, pk["keys"]["officer"])
        page.goto("/ui/queue")
        save(page, "1-officer-queue")
        page.goto(f"/ui/declarations/{w['held']}")
        save(page, "2-held-import", until=HELD_UNTIL)
        for code in ("zh_Hans", "ur"):
            language(page, code)
            page.goto(f"/ui/declarations/{w['held']}")
            save(page, f"2-held-import-{code.split('_')[0]}", until=HELD_UNTIL)
    with person(browser, pk["url"]) as page:
        sign_in(page, pk["keys"]["trader"])
        save(page, "3-trader-home")
    with person(browser, pk["url"], PHONE) as page:
        sign_in(page, pk["keys"]["trader"])
        page.click(f"section.needs-you a[href$='{w['documents_requested']}'] >> nth=-1")
        page.wait_for_url(f"**/{w['documents_requested']}")
        save(page, "3-documents-requested-phone", until="section.owed dl")
    with person(browser, pk["url"]) as page:
        sign_in(page, pk["keys"]["administrator"])
        page.goto("/ui/exchange")
        save(page, "4-dead-letters", until="section.dead-letters")
    with person(browser, cn["url"]) as page:
        sign_in(page, cn["keys"]["supervisor"])
        version = state["waiting"]["CN"]["draft_rules"]
        page.goto(f"/ui/rules/{version}/backtest?lodged_from={start}&lodged_to={end}")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=WAIT_MS)
        save(page, "5-supervisor-backtest", full=True)


def shoot_expo(browser: Browser, state: dict[str, Any]) -> None:
    expo = state["expo"]
    keys = list(expo["participants"].items())
    for code, suffix in (("en", "en"), ("zh_Hans", "zh")):
        with person(browser, expo["url"]) as first, person(browser, expo["url"]) as second:
            if code != "en":
                first.goto("/ui/sign-in")
                language(first, code)
            first.goto("/ui/sign-in")
            save(first, f"expo-1-sign-in-{suffix}")
            sign_in(first, keys[-1][1], "**/ui/suggestions")
            save(first, f"expo-2-suggestions-{suffix}")
            first.goto("/ui/meetings")
            _availability_in_zone(first)
            save(first, f"expo-3-meetings-{suffix}", full=True)
            room = first.locator("a[href$='/room']").first.get_attribute("href")
            assert room, "no meeting scheduled for the participant"
            _sign_in_as_counterpart(second, keys, room)
            _hold_meeting(first, second, room, CHAT[suffix])
            save(first, f"expo-4-room-{suffix}", full=True)


def _hold_meeting(first: Page, second: Page, room: str, chat: tuple[str, str, str]) -> None:
    """Both enter the room, see each other, chat, and the first writes the minutes. WebRTC on a
    loaded machine may stall once: both leave and enter again, at most twice more."""
    for attempt in range(3):
        try:
            first.goto(room)
            first.wait_for_function("() => window.expoRoom && window.expoRoom.me !== null")
            second.goto(room)
            first.wait_for_function(FRAMES_DECODED, polling=250, timeout=WAIT_MS)
            second.fill("#chat-text", chat[0])
            second.click("#chat-form button[type=submit]")
            first.wait_for_function(
                "t => window.expoRoom.chat.some(m => m.text === t)", arg=chat[0]
            )
            first.fill("#chat-text", chat[1])
            first.click("#chat-form button[type=submit]")
            first.fill("#minutes-text", chat[2])
            first.click("#minutes-save")
            first.wait_for_function("() => window.expoRoom.minutesSaved > 0")
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            print(f"  the meeting room stalled (try {attempt + 1}); entering again", flush=True)
            for page in (first, second):
                page.goto("/ui/meetings")


CHAT = {
    "en": ("Can you do 118 USD a unit?", "Yes, for 500 units.", "Agreed: 500 units at 118 USD."),
    "zh": ("每件118美元可以吗？", "可以，500件起。", "商定：500件，每件118美元。"),
}

FRAMES_DECODED = """async () => {
  const room = window.expoRoom;
  if (!room || room.peers.size < 1) return false;
  for (const { pc } of room.peers.values()) {
    for (const s of (await pc.getStats()).values()) {
      if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0) return true;
    }
  }
  return false;
}"""


def _availability_in_zone(page: Page) -> None:
    """The participant says when it can meet in its own zone: the same hours it gave before,
    written as Karachi's wall clock; the page then shows its meetings in that zone."""
    was = page.locator("#zone").input_value()
    starts, ends = page.locator("input[name=start]"), page.locator("input[name=end]")
    windows = [(starts.nth(i).input_value(), ends.nth(i).input_value()) for i in range(4)]
    page.select_option("#zone", EXPO_ZONE)
    for i, (s, e) in enumerate(windows):
        if s and e:
            starts.nth(i).fill(_in_zone(s, was))
            ends.nth(i).fill(_in_zone(e, was))
    page.click("form[action='/ui/availability'] button[type=submit]")
    page.wait_for_url("**/ui/meetings")


def _in_zone(local: str, zone: str) -> str:
    """A wall-clock time of `zone` as EXPO_ZONE's wall clock."""
    moved = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone))
    return moved.astimezone(ZoneInfo(EXPO_ZONE)).strftime("%Y-%m-%dT%H:%M")


def _sign_in_as_counterpart(page: Page, keys: list[tuple[str, str]], room: str) -> None:
    """Sign `page` in as the participant the meeting is with (its meetings, from the API)."""
    meeting = int(room.split("/")[-2])
    base = page.context.request
    for _name, key in keys[:-1]:
        mine = base.get("/meetings", headers={"Authorization": f"Bearer {key}"}).json()
        if any(m["id"] == meeting for m in mine):
            sign_in(page, key, "**/ui/suggestions")
            return
    raise RuntimeError(f"no participant of the demo may enter {room}")


def shoot(state: dict[str, Any]) -> None:
    if not CHROMIUM.exists():
        sys.exit(f"No Chromium at {CHROMIUM} (apt-get install chromium, or KARAKORAM_CHROMIUM).")
    with sync_playwright() as playwright:
        args = ["--no-sandbox", *MEDIA_FLAGS]  # no sandbox: CI containers run as root
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            shoot_nodes(browser, state)
            shoot_expo(browser, state)
            from shoot_contracts import shoot_contracts  # beside this file

            shoot_contracts(browser, state)
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=ROOT / ".karakoram" / "tour")
    parser.add_argument("--keep", action="store_true", help="keep the demo serving after")
    parser.add_argument(
        "--demo", type=Path, help="photograph the demo `karakoram demo` serves from this directory"
    )
    a = parser.parse_args()
    if a.demo:
        shoot(running_demo(a.demo))
        return
    # stopped with SIGTERM too, the demo's node processes stop with it (the `finally` below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    run, state = play_demo(a.workdir)
    try:
        print(f"Demo played in {time.monotonic() - began:.0f} s; photographing.", flush=True)
        try:
            shoot(state)
        except Exception:
            if not a.keep:
                raise
            traceback.print_exc()
        if a.keep:
            print(f"Serving; photograph it again with --demo {a.workdir}. Stop with Ctrl-C.")
            with contextlib.suppress(KeyboardInterrupt):
                while True:
                    time.sleep(3600)
    finally:
        run.close()


if __name__ == "__main__":
    main()
