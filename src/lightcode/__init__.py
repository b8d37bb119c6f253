"""lightcode: map LLM inference onto hybrid photonic-electronic hardware.

The public Python API; the CLI is a thin layer over these functions.
"""

from lightcode.errors import LightcodeError

__version__ = "0.1.0"


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
    solver: str = "cpsat",
    precision: str = "parity",
    heuristics: bool = True,
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
    solver: exact backend, "cpsat" or "highs".
    precision: "parity" (default: every unit, the GPU baseline included, offered only formats at least as
        wide as the system's precision floor) or "native" (each unit at its own formats, as papers do).
    heuristics: also evaluate the greedy and path-search baselines.
    overrides: {"unit.param": value} applied to the system's units.
    out_dir: also write report.json, traces and figures there.
    Returns a CompileResult (latency_s, energy_j, breakdown, to_frame(), plot_timeline(), write_trace()).
    """
    from lightcode.pipeline.compile import run_compile

    return run_compile(model, system=system, objective=objective, phase=phase, seq_len=seq_len,
                       context=context, batch=batch, dtype=dtype, latency_budget_s=latency_budget_s,
                       energy_budget_j=energy_budget_j, time_limit_s=time_limit_s, corner=corner,
                       solver=solver, precision=precision, heuristics=heuristics, overrides=overrides or {}, out_dir=out_dir)


__all__ = ["capture", "compile", "LightcodeError", "__version__"]
