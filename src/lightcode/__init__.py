"""lightcode: map LLM inference onto hybrid photonic-electronic hardware.

The public Python API; the CLI is a thin layer over these functions.
"""

from lightcode.errors import LightcodeError

__version__ = "0.1.0"


def capture(model, **kwargs):
    """Capture MODEL (preset name or config.json path) into an OpGraph. See `frontend.capture.capture`."""
    from lightcode.frontend.capture import capture as _capture

    return _capture(model, **kwargs)


def compile(model, system="h100+ddot-b-4bit", objective=None, **kwargs):  # noqa: A001 (the DESIGN §1 name)
    """Map MODEL (an OpGraph from `capture`, a preset name or a config path) onto SYSTEM, optimally for
    OBJECTIVE ("latency" | "energy" | "edp" | "pareto"; None: all side by side). Returns a CompileResult
    (latency_s, energy_j, breakdown, to_frame(), plot_timeline(), write_trace()). See
    `compile_api.run_compile` for the keyword arguments."""
    from lightcode.pipeline.compile import run_compile

    return run_compile(model, system=system, objective=objective, **kwargs)


__all__ = ["capture", "compile", "LightcodeError", "__version__"]
