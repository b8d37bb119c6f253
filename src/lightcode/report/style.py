"""The figures' house style: one fixed colour per energy component (the same in every figure of the
project), legends outside the data, text ≥ 8 pt, and one save helper for `--format png|pdf|svg` / `--dpi`.

Nothing here selects a matplotlib backend: figures are made with the object API (`matplotlib.figure.Figure`,
no pyplot state), so a notebook's inline backend and `plt.show()` keep working; only the CLI renders files."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from lightcode.core.cost import ENERGY_COMPONENTS
from lightcode.errors import BadInputError

# Fixed colours per energy component (Okabe–Ito-based, colour-blind safe, then two neutral tones). A figure
# never takes a component's colour from a cycle, so "detector" is the same blue everywhere.
COMPONENT_COLOURS: dict[str, str] = {
    "compute": "#0072B2",  # blue
    "dac": "#E69F00",  # orange
    "adc": "#F0E442",  # yellow
    "modulator": "#CC79A7",  # purple-pink
    "laser": "#D55E00",  # vermilion
    "detector": "#56B4E9",  # sky blue
    "static": "#999999",  # grey
    "memory": "#009E73",  # bluish green
    "transfer": "#8C564B",  # brown
    "reprogramming": "#332288",  # indigo
}
assert set(COMPONENT_COLOURS) == set(ENERGY_COMPONENTS), "every energy component needs its fixed colour"

# Mapping colours (all-electronic / latency- / energy-optimal / others) and op-kind colours for timelines.
MAPPING_COLOURS = {"all-electronic": "#444444", "latency": "#0072B2", "energy": "#D55E00", "edp": "#009E73",
                   "pareto": "#CC79A7"}
OP_KIND_COLOURS = {"matmul": "#0072B2", "attention": "#D55E00", "norm": "#009E73", "softmax": "#CC79A7",
                   "elementwise": "#E69F00", "embedding": "#56B4E9", "data_movement": "#999999",
                   "transfer": "#8C564B"}
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#444444", "#F0E442")  # Okabe–Ito
FALLBACK = ("#332288", "#117733", "#44AA99", "#88CCEE", "#DDCC77", "#CC6677", "#AA4499", "#882255")

MIN_FONT_PT = 8
RC = {"font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
      "legend.fontsize": 8, "figure.titlesize": 10, "axes.spines.top": False, "axes.spines.right": False,
      "svg.fonttype": "none", "pdf.fonttype": 42}
FORMATS = ("png", "pdf", "svg")
DEFAULT_DPI = 200


def colour(name: str, table: dict[str, str], k: int = 0) -> str:
    return table.get(name, FALLBACK[k % len(FALLBACK)])


@contextmanager
def style():
    """The house rcParams for the figures made inside (restored afterwards)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        yield


def _figure_class():
    from matplotlib.figure import Figure

    class NotebookFigure(Figure):
        """A Figure that shows itself when it is a notebook cell's value, whatever the backend: pyplot
        never manages it (so `plt.show()` neither shows it twice nor loses it)."""

        def _repr_png_(self) -> bytes:
            import io

            buf = io.BytesIO()
            self.savefig(buf, format="png", dpi=110, bbox_inches="tight")
            return buf.getvalue()

    return NotebookFigure


def new_figure(figsize=(7.0, 4.0)):
    """A Figure and its Axes, without pyplot (no global state, no backend choice)."""
    global _FIGURE
    if _FIGURE is None:
        _FIGURE = _figure_class()
    fig = _FIGURE(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


_FIGURE = None


def figure_and_axes(ax, figsize):
    """(fig, ax): the caller's Axes when given (notebooks compose figures), else a new Figure."""
    if ax is not None:
        return ax.figure, ax
    return new_figure(figsize)


def legend_outside(ax, **kw) -> None:
    """Legend to the right of the axes, outside the data."""
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                  frameon=False, fontsize=max(MIN_FONT_PT, RC["legend.fontsize"]), **kw)


def reference_line(ax, y: float | None = None, x: float | None = None, label: str = "", **kw) -> None:
    """A dashed reference line, labelled in the legend (and so never anonymous)."""
    kw = {"color": "#444444", "linestyle": "--", "linewidth": 1.0, **kw}
    if y is not None:
        ax.axhline(y, label=label, **kw)
    if x is not None:
        ax.axvline(x, label=label, **kw)


def check_format(fmt: str, dpi: int | None = None) -> str:
    f = fmt.lower().lstrip(".")
    if f not in FORMATS:
        raise BadInputError(f"unknown figure format {fmt!r}: use one of {', '.join(FORMATS)}")
    if dpi is not None and not dpi > 0:
        raise BadInputError(f"--dpi must be positive, got {dpi}")
    return f


def save(fig, path: str | Path, *, fmt: str | None = None, dpi: int | None = None) -> Path:
    """Write FIG to PATH (its suffix replaced by FMT when given) and return the path."""
    path = Path(path)
    f = check_format(fmt or path.suffix or "png", dpi)
    path = path.with_suffix("." + f)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=f, dpi=dpi or DEFAULT_DPI, bbox_inches="tight")
    return path
