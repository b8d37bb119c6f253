"""Notebook-native views and figures: Figures (not paths) that accept ax=, no backend switching, fixed
component colours, legends outside the data, ≥ 8 pt text, png|pdf|svg; to_frame rows summing to the total;
short reprs; atomic write(); provenance; the SI formatter; sweep plot --x/--hue."""

from __future__ import annotations

import json

import matplotlib
import pytest
from matplotlib.figure import Figure

import lightcode as lc
from lightcode.core.cost import ENERGY_COMPONENTS
from lightcode.report.si import si
from lightcode.report.style import COMPONENT_COLOURS, MIN_FONT_PT


@pytest.fixture(scope="module")
def res():
    return lc.compile(lc.capture("gpt2", seq_len=32), system="h100+ddot-b-4bit", time_limit_s=10)


def test_si_formatter():
    assert si(0.05463, "s") == "54.63 ms" and si(23.3, "J") == "23.3 J" and si(0, "J") == "0 J"
    assert si(2.9e13, "FLOP") == "29 TFLOP" and si(-3e-3, "W") == "-3 mW" and si(999.96, "s") == "1 ks"
    assert si(None) == "-" and si(1.5e-7, "s", 3) == "150 ns"


def test_reprs_are_short_and_carry_the_numbers(res):
    r = repr(res)
    assert len(r) < 400 and "energy-optimal" in r and "s," in r and "J" in r and "×" in r
    assert "<table>" in res._repr_html_() and "energy × all-electronic" in res._repr_html_()
    g = res.graph
    assert len(repr(g)) < 300 and "ops" in repr(g) and "FLOP" in repr(g)
    assert "<table>" in g._repr_html_()


def test_to_frame_rows_sum_to_the_total(res):
    for name, m in res.mappings().items():
        f = res.to_frame(mapping=name)
        assert f["energy_j"].sum() == pytest.approx(m.sim.energy_j, rel=1e-9)
        comps = f[[f"energy_{c}_j" for c in ENERGY_COMPONENTS]].sum()
        for c in ENERGY_COMPONENTS:
            assert comps[f"energy_{c}_j"] == pytest.approx(m.sim.energy_breakdown_j[c], rel=1e-9, abs=1e-15)
        assert set(f["row"]) >= {"op", "static"}
    assert (res.to_frame(mapping="energy")["row"] == "transfer").any()  # the hybrid mapping moves data
    with pytest.raises(lc.LightcodeError, match="known"):
        res.to_frame(mapping="fastest")


def _texts(fig):
    return [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_figures_are_figures_with_house_style(res, tmp_path):
    backend = matplotlib.get_backend()
    for make in (res.plot_energy, res.plot_timeline, res.plot_latency_energy):
        fig = make()
        assert isinstance(fig, Figure)
        assert all(t.get_fontsize() >= MIN_FONT_PT for t in _texts(fig))
        ax = fig.axes[0]
        leg = ax.get_legend()
        assert leg is not None
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        assert leg.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1 - 1  # outside the data
        assert ax.get_ylabel() and ax.get_xlabel()
    assert matplotlib.get_backend() == backend  # nothing switched the backend
    # fixed colour per component: the bars of "static" have the same colour in every figure
    fig = res.plot_energy()
    bars = {c.get_label(): c.patches[0].get_facecolor() for c in fig.axes[0].containers}
    for comp, rgba in bars.items():
        assert matplotlib.colors.to_hex(rgba) == COMPONENT_COLOURS[comp].lower()
    # ax=: draw into the caller's axes
    outer = Figure()
    ax = outer.add_subplot()
    assert res.plot_latency_energy(ax=ax) is outer and ax.collections


def test_write_is_atomic_and_complete(res, tmp_path, monkeypatch):
    files = res.write(tmp_path / "out", fmt="svg")
    names = {p.name for p in files.values()}
    for n in ("report.html", "report.json", "latency_energy.svg", "energy.svg", "trace.json"):
        assert n in names
    assert {f"trace-{m}.json" for m in res.mappings()} <= names
    assert all(p.is_file() for p in files.values())
    prov = json.loads((tmp_path / "out" / "report.json").read_text())["provenance"]
    assert {"lightcode_version", "commit", "dirty", "argv", "system_files_sha256", "corner", "dtype",
            "precision_policy", "time_limit_s"} <= set(prov)
    assert prov["precision_policy"].startswith(res.stacked.precision) and prov["time_limit_s"] == 10
    # a failure while rendering leaves no partial output (and no temporary directory)
    import lightcode.report.html as rhtml

    def boom(_rep):
        raise RuntimeError("render failed")

    monkeypatch.setattr(rhtml, "render", boom)
    with pytest.raises(RuntimeError):
        res.write(tmp_path / "fresh")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with pytest.raises(lc.LightcodeError, match="png, pdf, svg"):
        res.write(tmp_path / "x", fmt="jpg")


def test_version_flag(run_cli):
    code, out, _ = run_cli("--version")
    assert code == 0 and out.startswith(f"lightcode {lc.__version__}")


def test_sweep_plot_x_hue_format(tmp_path, run_cli):
    from lightcode.experiments.export import plot_sweep, to_frame
    from lightcode.experiments.spec import parse_spec
    from lightcode.experiments.store import Store
    from lightcode.experiments.sweep import run_sweep
    from sweep_fakes import fake_point

    spec = parse_spec({"name": "t", "models": ["gpt2"], "seq_lens": [8, 16, 32], "systems": ["a", "b"],
                       "batches": [1, 2], "objectives": ["latency", "energy"]}, check_names=False)
    db = tmp_path / "r.sqlite"
    run_sweep(spec, db, point_fn=fake_point, workers=0, progress=False)
    with Store(db) as st:
        df = to_frame(st.rows())
    figs = plot_sweep(df, tmp_path / "f", x="batch", hue="seq_len", fmt="pdf")
    assert figs and all(p.suffix == ".pdf" and p.stat().st_size > 0 for p in figs)
    assert {p.name for p in figs} >= {"latency_vs_batch_gpt2_prefill.pdf"}
    code, _, err = run_cli("sweep", "plot", "--db", str(db), "--out", str(tmp_path / "g"), "--x", "speed")
    assert code == 2 and "not a sweep parameter" in err and "length" in err
    code, out, _ = run_cli("sweep", "plot", "--db", str(db), "--out", str(tmp_path / "g"), "--hue", "batch",
                           "--format", "svg", "--dpi", "300")
    assert code == 0 and out.count(".svg") == 2
