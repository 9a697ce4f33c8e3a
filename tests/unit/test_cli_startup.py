"""Every `karakoram` command starts by importing the whole command line: the heavy libraries that
only a few commands use (the demo, pyHanko and WeasyPrint for contract PDFs, SciPy for the expo's
scheduler) are imported by those commands when they run, not by all of them."""

import json
import subprocess
import sys

HEAVY = ("karakoram.demo.run", "pyhanko", "weasyprint", "scipy")


def test_the_command_line_imports_no_demo_pdf_or_solver_library_until_a_command_needs_it() -> None:
    probe = (
        "import json, sys; import karakoram.entrypoints.cli.main; "
        f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(out.stdout) == []
