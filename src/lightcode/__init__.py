"""lightcode: map LLM inference onto hybrid photonic-electronic hardware.

The public Python API; the CLI is a thin layer over these functions.

    import lightcode as lc
    lc.list_systems()                                   # names for system=
    g = lc.capture("llama2-7b", seq_len=2048)           # OpGraph
    r = lc.compile(g, system="h100+ddot-b-4bit")        # CompileResult (shows itself in a notebook)
    lc.compare(g, ["h100", "h100+ddot-b-4bit"])         # pandas frame, one row per system × mapping
    lc.sweep("examples/sweep-small.yaml", db="runs.sqlite")   # resumable design-space sweep
"""

from lightcode.core.provenance import VERSION as __version__
from lightcode.errors import LightcodeError


def capture(model, **kwargs):
    """Capture MODEL (preset name or config.json path) into an OpGraph. See `frontend.capture.capture`."""
    from lightcode.frontend.capture import capture as _capture

    return _capture(model, **kwargs)


def compile(  # noqa: A001 (the DESIGN §1 name)
    model,
    system: str | object = "h100+ddot-b-4bit",
    objective: str | None = None,
    *,
    phase: str = "prefill",
    seq_len: int | None = None,
    context: int | None = None,
    batch: int = 1,
    dtype: str = "fp16",
    latency_budget_s: float | None = None,
    energy_budget_j: float | None = None,
    time_limit_s: float = 10.0,
    corner: str | None = None,
    corner_range: str | None = None,
    solver: str = "cpsat",
    precision: str = "parity",
    heuristics: bool = True,
    split: bool = False,
    accuracy: bool = False,
    max_ppl_increase: float | str | None = None,
    accuracy_proxy: str | None = None,
    overrides: dict | None = None,
    out_dir: str | None = None,
):
    """Map MODEL onto SYSTEM, optimally for OBJECTIVE, and simulate the mapping.

    model: an OpGraph from `capture`, a preset name (`lightcode hardware list` for systems; presets in the
        README) or a path to a Hugging Face config.json. A graph fixes phase, seq_len, context, batch, dtype.
    system: a system name, a system YAML path, or a loaded system object.
    objective: "latency" | "energy" | "edp" | "ed2p" | "pareto"; None compares all-electronic, the
        latency-optimal and the energy-optimal mappings side by side.
    phase, seq_len, context, batch, dtype: what to capture (prefill: seq_len; decode: context).
    latency_budget_s, energy_budget_j: constraints on the chosen mapping (infeasible: InfeasibleError).
    time_limit_s: solver time per objective; a time-out is FEASIBLE with its gap, never OPTIMAL.
    corner: "conservative" | "baseline" | "aggressive"; None: the system's own.
    corner_range: "all" adds latency, energy and saving at every corner side by side (result.corners).
    solver: exact backend, "cpsat" or "highs".
    precision: "parity" (default: every unit, the GPU baseline included, offered only formats at least as
        wide as the system's precision floor) or "native" (each unit at its own formats, as papers do).
    heuristics: also evaluate the greedy and path-search baselines.
    split: also offer each GEMM split between the GPU and a photonic unit, both at once (cost/split.py).
    accuracy: also replay the baseline and each optimum on the model's functional twin (result.accuracy).
    max_ppl_increase: each optimum under this perplexity increase (0.05 or "5%"), verified on the twin and
        tightened until it holds (result.accuracy_selection: predicted and measured per round).
    accuracy_proxy: a model without a twin takes per-op-role sensitivities from this twin (an assumption).
    overrides: {"unit.param" or "system.…": value} applied to the system (hardware/overrides.py).
    out_dir: also write report.json, traces and figures there.
    Returns a CompileResult (latency_s, energy_j, breakdown, to_frame(), plot_timeline(), write_trace()).
    """
    from lightcode.pipeline.compile import run_compile

    return run_compile(model, system=system, objective=objective, phase=phase, seq_len=seq_len,
                       context=context, batch=batch, dtype=dtype, latency_budget_s=latency_budget_s,
                       energy_budget_j=energy_budget_j, time_limit_s=time_limit_s, corner=corner,
                       corner_range=corner_range,
                       solver=solver, precision=precision, heuristics=heuristics, split=split, accuracy=accuracy,
                       max_ppl_increase=max_ppl_increase, accuracy_proxy=accuracy_proxy, overrides=overrides or {},
                       out_dir=out_dir)


def list_systems() -> list[str]:
    """Names of the systems in the hardware library (usable as `system=`); `lightcode hardware list`."""
    from lightcode.hardware.load import list_systems as _list

    return _list()


def list_units() -> list[str]:
    """Names of the units in the hardware library."""
    from lightcode.hardware.load import list_units as _list

    return _list()


def compare(model, systems, *, objectives=("latency", "energy"), **kwargs):
    """Compile MODEL on each of SYSTEMS and return one pandas DataFrame row per (system, mapping): the
    all-electronic baseline and each objective's optimal mapping, with latency, energy, EDP, the ratios to
    that system's all-electronic mapping, energy by component and ops per unit. Keyword arguments go to
    `compile` (seq_len=, phase=, corner=, time_limit_s=, …). Capture MODEL once with `capture` to reuse it."""
    import pandas as pd

    from lightcode.core.cost import ENERGY_COMPONENTS

    if isinstance(systems, str):
        systems = [systems]
    graph = model
    if isinstance(model, str):  # capture once for all systems
        graph = capture(model, **{k: kwargs.pop(k) for k in ("seq_len", "phase", "context", "batch", "dtype")
                                  if k in kwargs})
    rows = []
    for system in systems:
        seen: dict[str, object] = {}
        for obj in objectives:
            r = compile(graph, system=system, objective=obj, **kwargs)
            seen.setdefault("all-electronic", r.baseline)
            seen[obj] = r.chosen
        base = seen["all-electronic"].sim
        for name, m in seen.items():
            s = m.sim
            row = {"system": system, "mapping": name, "latency_s": s.latency_s, "energy_j": s.energy_j,
                   "edp_js": s.edp, "latency_x_baseline": s.latency_s / base.latency_s if base.latency_s else None,
                   "energy_x_baseline": s.energy_j / base.energy_j if base.energy_j else None,
                   "status": m.assignment.status.value if m.assignment.method == "cpsat" else m.assignment.method}
            row.update({f"energy_{c}_j": s.energy_breakdown_j.get(c, 0.0) for c in ENERGY_COMPONENTS})
            row.update({f"ops_{u}": n for u, n in s.ops_by_unit.items()})
            rows.append(row)
    return pd.DataFrame(rows)


def sweep(spec, db="results.sqlite", *, workers=0, scheduler=None, retry_errors=False, progress=False):
    """Run a design-space sweep: SPEC is a YAML path or a spec dict (README "Sweeps"); finished points are
    kept in the SQLite DB and skipped on a re-run. workers=0 runs in this process (notebooks); N > 0 starts a
    local Dask cluster of N processes. Returns the points as a pandas DataFrame (one row per point)."""
    from lightcode.experiments.export import to_frame
    from lightcode.experiments.spec import load_spec, parse_spec
    from lightcode.experiments.store import Store
    from lightcode.experiments.sweep import run_sweep

    s = parse_spec(spec) if isinstance(spec, dict) else load_spec(spec)
    run_sweep(s, db, workers=workers, scheduler=scheduler, retry_errors=retry_errors, progress=progress)
    with Store(db) as store:
        return to_frame(store.rows(s.spec_hash))


__all__ = ["capture", "compile", "compare", "list_systems", "list_units", "sweep", "LightcodeError", "__version__"]
