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


def compile_point(params: dict[str, Any]) -> dict[str, Any]:
    """The default point function: one `run_compile` of the point's request, its JSON dict, plus the
    overrides used."""
    from lightcode.pipeline.compile import run_compile
    from lightcode.pipeline.request import CompileRequest

    request = CompileRequest.from_dict(params)
    out = run_compile(request.model, request).to_json_dict()
    if request.overrides:
        out["overrides"] = dict(request.overrides)
        out["system"] = request.system
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
