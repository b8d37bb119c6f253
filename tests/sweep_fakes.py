"""Injected point functions for the sweep tests: §4-shaped results without the compiler."""

from __future__ import annotations

import os
import time

from lightcode.errors import InfeasibleError


def fake_point(params: dict) -> dict:
    """Deterministic stand-in for run_compile: infeasible when the system is named 'infeasible'."""
    delay = float(os.environ.get("LC_FAKE_POINT_DELAY_S", "0"))
    if delay:
        time.sleep(delay)
    if params["system"] == "infeasible":
        raise InfeasibleError("latency budget below the optimum")
    n = params["seq_len"] or params["context"]
    scale = {"latency": 1.0, "energy": 2.0, "edp": 1.5}.get(params["objective"], 1.0)
    return {
        "model": params["model"], "phase": params["phase"], "batch": params["batch"], "seq_len": params["seq_len"],
        "context": params["context"], "system": params["system"], "objective": params["objective"],
        "result": {"latency_s": 1e-6 * n * scale, "energy_j": 1e-3 * n / scale,
                   "energy_breakdown_j": {"compute": 1e-3 * n / scale}, "ops_total": 10,
                   "ops_by_unit": {"gpu": 6, "ptu": 4}, "flops_by_unit": {"gpu": 6.0, "ptu": 4.0}},
        "baseline": {"name": "all-electronic", "latency_s": 1e-6 * n, "energy_j": 2e-3 * n},
        "solver": {"status": "OPTIMAL", "objective": 1.0, "bound": 1.0, "gap": 0.0, "time_s": 0.0},
        "timing_s": {"capture": 0.0, "build": 0.0, "select": 0.0, "simulate": 0.0, "total": 0.0},
    }


def flaky_point(params: dict) -> dict:
    """System 'crash' raises a non-Lightcode exception (a bug in one point); system 'die' kills its worker
    process the first time (marker file in LC_FAKE_DIE_DIR), then succeeds when Dask reschedules it."""
    if params["system"] == "crash":
        raise RuntimeError("simulated bug")
    if params["system"] == "die":
        marker = os.path.join(os.environ["LC_FAKE_DIE_DIR"], f"died-{params['seq_len']}-{params['objective']}")
        if not os.path.exists(marker):
            open(marker, "w").close()
            os._exit(1)
    return fake_point(params)


def repro_fake_point(params: dict) -> dict:
    """Stand-in for reproduce's mapping point. The authors' mapping (path-search) puts 4 of 10 ops on the
    photonic unit from S=64 on, its latency falling with cores × multiplexing; the energy optimum does the
    same at 40 % less energy; the latency optimum stays on the GPU."""
    out = fake_point(params)
    par = 1
    for k, v in (params.get("overrides") or {}).items():
        if k.rsplit(".", 1)[1] in ("cores", "multiplex", "tiles", "wavelengths"):
            par *= v
    ptu = "ptu-lightcode" if "ptu" in params["system"] else "ddot-b-4bit"
    n = params["seq_len"]
    k = 4 if n >= 64 else 0

    def mapping(on_ptu: int) -> dict:
        e = 1e-3 * n * (1 - 0.1 * on_ptu)
        return {"latency_s": 1e-5 * n * (1 + on_ptu * 5 / par), "energy_j": e,
                "energy_breakdown_j": {"compute": 0.9 * e, "static": 0.1 * e},
                "ops_by_unit": {"h100-sxm": 10 - on_ptu, ptu: on_ptu},
                "gemms_by_unit": {"h100-sxm": 10 - on_ptu, ptu: on_ptu},
                "utilisation": {"h100-sxm": 0.5, ptu: 0.1 * on_ptu}, "flops_by_unit": {"h100-sxm": 2e6 * n},
                "units": [ptu] * on_ptu + ["h100-sxm"] * (10 - on_ptu)}

    opt = mapping(k if params["objective"] == "energy" else 0)
    out["result"].update({key: opt[key] for key in ("latency_s", "energy_j", "energy_breakdown_j", "ops_by_unit")})
    out["baseline"] = {"name": "all-electronic", "latency_s": 1e-5 * n, "energy_j": 1e-3 * n}
    out["mappings"] = {"optimal": opt, "all-electronic": mapping(0), "path-search": mapping(k)}
    out.update(weight_elements=1e6, gemm_ops=10, fused_gemm_ops=0)
    return out
