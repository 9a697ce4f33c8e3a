"""Curves for the README: a PNG per measured series, drawn with matplotlib (no display);
used by exchange.py, trade_stats.py and backtest_curve.py (curves.py draws the write paths)."""

from __future__ import annotations

from pathlib import Path

CURVES = Path(__file__).parent / "curves"


def plot(
    name: str,
    title: str,
    x_label: str,
    y_label: str,
    series: dict[str, tuple[list[float], list[float]]],
    *,
    log_x: bool = False,
    log_y: bool = False,
    note: str = "",
) -> Path:
    """Draw each series (label -> (xs, ys)) as a line with points; returns the PNG's path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    CURVES.mkdir(exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, marker="o", label=label)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    if log_x:
        ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, alpha=0.7)
    fig.tight_layout()
    path = CURVES / f"{name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path
