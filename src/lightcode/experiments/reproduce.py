"""`lightcode reproduce lightcode-2025`: the LightCode paper's experiments, re-run by our compiler.

Three experiments (lightcode.md §3), each under two physics — the authors' constants (`h100+ptu-lightcode`)
and our fuller baseline-corner model (`h100+ddot-b-4bit`):
  E1 energy vs sequence length, GPT-2 and Llama-2-7B prefill up to each model's maximum: energy-optimal
     hybrid mapping against the all-GPU baseline (claim: up to 50 % less energy at maximum length);
  E2 latency vs PTU cores × multiplexing factor, latency- and energy-optimal assignment (claim: > 10×
     latency from multiplexing and assignment);
  E3 latency- vs energy-objective mappings: ops per unit and the distance between them (claim: distinct
     mappings).
Every number in REPRODUCTION.md comes from these runs (a SQLite sweep database in --out, resumable); the
paper's side of the table is the abstract's wording, the only paper text available.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from lightcode.errors import BadInputError
from lightcode.experiments.repro_plan import MODELS, PAPERS, PHYSICS, Plan, SingleRun, load_single_run  # noqa: F401
from lightcode.experiments.spec import SweepSpec, parse_spec


def max_positions(model: str) -> int:
    from lightcode.frontend.model_spec import resolve_model

    n = resolve_model(model).max_positions
    if not n:
        raise BadInputError(f"model {model!r} declares no maximum sequence length")
    return int(n)


def _log_lengths(stop: int, num: int) -> list[int]:
    from lightcode.experiments.spec import LengthRange

    return LengthRange(start=16, stop=stop, num=num).values()


def make_plan(quick: bool) -> Plan:
    num = 4 if quick else 12
    return Plan(
        lengths={m: _log_lengths(max_positions(m), num) for m in MODELS},
        e2_model="llama2-7b",  # the authors' core sweep model (lightcode.md §3.2, test.ipynb)
        e2_len=1024,
        cores=[1, 4, 20] if quick else [1, 2, 5, 10, 15, 20],
        mux=[1, 4, 20] if quick else [1, 2, 5, 10, 15, 20],
        time_limit_s=5.0 if quick else 10.0,
    )


def specs(plan: Plan) -> dict[str, SweepSpec]:
    """One sweep per (experiment, model/physics); E3 reads E1's runs (both objectives at every length);
    "single" is the authors' one published run (GPT-2 S=50, energy objective) under both physics."""
    one = load_single_run()
    out: dict[str, SweepSpec] = {"single": parse_spec({
        "name": "repro-single", "models": [one.model], "phases": [one.phase], "seq_lens": [one.seq_len],
        "systems": sorted({p.system for p in PHYSICS}), "precisions": sorted({p.precision for p in PHYSICS}),
        "objectives": [one.objective], "time_limit_s": plan.time_limit_s,
    })}
    for m in MODELS:
        out[f"lengths-{m}"] = parse_spec({
            "name": f"repro-lengths-{m}", "models": [m], "seq_lens": plan.lengths[m],
            "systems": sorted({p.system for p in PHYSICS}), "precisions": sorted({p.precision for p in PHYSICS}),
            "objectives": ["latency", "energy"], "time_limit_s": plan.time_limit_s,
        })
    for p in PHYSICS:
        out[f"mux-{p.key}"] = parse_spec({
            "name": f"repro-mux-{p.key}", "models": [plan.e2_model], "seq_lens": [plan.e2_len],
            "systems": [p.system], "precisions": [p.precision], "objectives": ["latency", "energy"],
            "time_limit_s": plan.time_limit_s,
            "grid": {f"{p.ptu}.{p.cores}": plan.cores, f"{p.ptu}.{p.mux}": plan.mux},
        })
    return out


def mapping_point(params: dict[str, Any]) -> dict[str, Any]:
    """compile_point plus, per mapping (the optimum, all-electronic, the heuristics — path-search is the
    authors' selection re-implemented), its energy breakdown and ops per unit, and the unit of every op
    for the optimum and path-search (to measure distances between mappings)."""
    from lightcode.pipeline.compile import run_compile
    from lightcode.pipeline.request import CompileRequest

    request = CompileRequest.from_dict(params)
    res = run_compile(request.model, request)
    out = res.to_json_dict()
    if params.get("overrides"):
        out["overrides"] = dict(params["overrides"])
        out["system"] = params["system"]
    maps = {"optimal": res.chosen, "all-electronic": res.baseline}
    maps.update((res.heuristics or {}).get(res.objective, {}))
    gemms = [len(op.gemms) for op in res.graph.ops]
    out["mappings"] = {name: _mapping_summary(m, gemms, units=name in ("optimal", "path-search"))
                       for name, m in maps.items()}
    from lightcode.core.opgraph import DTYPE_BYTES

    out["weight_elements"] = res.graph.parameter_bytes / DTYPE_BYTES[res.graph.dtype]
    out["gemm_ops"] = sum(1 for g in gemms if g)
    out["fused_gemm_ops"] = sum(1 for g in gemms if g > 1)  # e.g. attention: QK^T and AV in one op
    return out


def warm_capture(model: str) -> None:
    """Fill the capture caches (in this worker and on disk) for `model`'s prefill template."""
    from lightcode.errors import LightcodeError
    from lightcode.frontend.capture import capture

    try:
        capture(model, seq_len=16)
    except LightcodeError:  # the sweep's points will record the error
        pass


def _mapping_summary(m: Any, gemms: list[int], *, units: bool) -> dict[str, Any]:
    s = m.sim
    by_unit: dict[str, int] = {}
    for u, g in zip(m.assignment.units, gemms):
        by_unit[u] = by_unit.get(u, 0) + g
    d = {"latency_s": s.latency_s, "energy_j": s.energy_j, "energy_breakdown_j": dict(s.energy_breakdown_j),
         "ops_by_unit": dict(s.ops_by_unit), "gemms_by_unit": by_unit, "utilisation": dict(s.utilisation),
         "flops_by_unit": dict(s.flops_by_unit)}
    if units:
        d["units"] = list(m.assignment.units)
    return d


# --- running --------------------------------------------------------------------------------------
def reproduce(paper: str, out: Path, *, quick: bool = False, workers: int = 2,
              scheduler: Optional[str] = None, progress: bool = True, point_fn: Any = None) -> Path:
    if paper not in PAPERS:
        raise BadInputError(f"unknown paper {paper!r} (known: {', '.join(PAPERS)})")
    from lightcode.experiments.export import to_frame
    from lightcode.experiments.fingerprint import combined
    from lightcode.experiments.store import Store
    from lightcode.experiments.sweep import open_client, pending_points, run_sweep, warn_stale

    out.mkdir(parents=True, exist_ok=True)
    db = out / "reproduce.sqlite"
    plan = make_plan(quick)
    sweeps = specs(plan)
    with Store(db) as st:  # a finished reproduction (of this model) re-writes its report without a cluster
        todo = [pending_points(st, spec) for spec in sweeps.values()]
    pending = any(t.points for t in todo)
    warn_stale(f"reproduce {paper}", sum(t.stale for t in todo), sum(t.unknown for t in todo),
               combined({s: f for t in todo for s, f in t.fingerprints.items()}))  # one line for all sweeps
    summaries = {}
    with open_client(scheduler if pending else None, workers if pending else 0) as client:  # one cluster for all
        if client is not None and point_fn is None:
            # One capture per model, the models in parallel on different workers, before the sweeps: otherwise
            # every worker exports the same model at once (the disk cache then serves every other point).
            client.gather(client.map(warm_capture, list(MODELS), pure=False))
        for name, spec in sweeps.items():
            summaries[name] = run_sweep(spec, db, point_fn=point_fn or "lightcode.experiments.reproduce:mapping_point",
                                        scheduler=scheduler, workers=workers, progress=progress, client=client,
                                        say_stale=False)
    with Store(db) as st:
        frames = {name: to_frame(st.rows(spec.spec_hash)) for name, spec in sweeps.items()}
        raw = {name: list(st.rows(spec.spec_hash)) for name, spec in sweeps.items()}
    from lightcode.experiments import repro_report

    return repro_report.write(out, plan, frames, raw, summaries, quick=quick)
