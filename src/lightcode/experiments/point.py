"""The work of one sweep point, run on a Dask worker: `run_compile(...)` → its JSON dict.

Workers are long-lived processes, so the capture caches (in process and on disk) survive from one point
to the next; the sweep orders points so that neighbours share a capture.
"""

from __future__ import annotations

import importlib
import time
from typing import Any, Callable

from lightcode.errors import BadInputError, LightcodeError

PointFn = Callable[[dict[str, Any]], dict[str, Any]]


def compile_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """The `run_compile` keyword arguments of a point (overrides are applied through the system)."""
    kw = {
        "system": system_arg(params),
        "phase": params["phase"],
        "seq_len": params.get("seq_len"),
        "context": params.get("context"),
        "batch": params.get("batch", 1),
        "dtype": params.get("dtype", "fp16"),
        "objective": params.get("objective"),
        "latency_budget_s": params.get("latency_budget_s"),
        "energy_budget_j": params.get("energy_budget_j"),
        "time_limit_s": params.get("time_limit_s", 10.0),
        "corner": params.get("corner"),
    }
    if params.get("heuristics", True) is False:  # only then: the pinned run_compile API has no such argument
        kw["heuristics"] = False
    return kw


def system_arg(params: dict[str, Any]) -> str:
    """The system name, or — with parameter overrides — the path of a derived system YAML."""
    from lightcode.hardware.overrides import system_with_overrides

    return system_with_overrides(params["system"], params.get("overrides") or {}, params.get("corner"))


def compile_point(params: dict[str, Any]) -> dict[str, Any]:
    """The default point function: one `run_compile`, its DESIGN §4 JSON dict, plus the overrides used."""
    from lightcode.pipeline.compile import run_compile

    out = run_compile(params["model"], **compile_kwargs(params)).to_json_dict()
    if params.get("overrides"):
        out["overrides"] = dict(params["overrides"])
        out["system"] = params["system"]
    return out


def resolve(fn: PointFn | str | None) -> PointFn:
    """A point function, given as a callable or as "module:attribute" (default: compile_point)."""
    if fn is None:
        return compile_point
    if callable(fn):
        return fn
    mod, _, attr = str(fn).partition(":")
    try:
        obj = getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError, ValueError):
        raise BadInputError(f"point function {fn!r} not found (expected 'module:function')") from None
    if not callable(obj):
        raise BadInputError(f"point function {fn!r} is not callable")
    return obj


def execute(point_fn: PointFn, params: dict[str, Any]) -> dict[str, Any]:
    """Run one point and package its outcome. A LightcodeError (bad input, infeasible budget …) is the
    point's result, recorded as an error row; anything else propagates so Dask may retry it."""
    started = time.time()
    t0 = time.perf_counter()
    try:
        result = point_fn(params)
        status, err_type, err = "ok", None, None
    except LightcodeError as e:
        result, status, err_type, err = None, "error", type(e).__name__, str(e) or type(e).__name__
    return {
        "status": status,
        "result": result,
        "error_type": err_type,
        "error": err,
        "started_at": started,
        "duration_s": time.perf_counter() - t0,
        "worker": _worker_name(),
    }


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"
