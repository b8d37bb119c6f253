"""CompileRequest: the one source of compile parameters.

Every place that takes compile parameters derives from the fields below: the `lightcode compile` options
(cli/compile.py builds them from `FIELDS`), the keyword arguments of `lc.compile` (a test checks the two
agree), the sweep spec's keys (experiments/spec.py: a field is a scalar key or, under its plural axis name,
a list) and a sweep point's identity (`CompileRequest.key`). A later capability adds a field here and
nowhere else. Construction validates every field and raises BadInputError with one line naming the field
and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any, Mapping, Optional, Union

from lightcode.core.selection import Objective
from lightcode.errors import BadInputError

DEFAULT_SYSTEM = "h100+ddot-b-4bit"
PHASES = ("prefill", "decode")
DTYPES = ("fp16", "bf16", "fp32")
CORNERS = ("conservative", "baseline", "aggressive")
CORNER_RANGES = ("all",)  # `--corners all`: every corner of CORNERS side by side
SOLVERS = ("cpsat", "highs")
PRECISION_POLICIES = ("parity", "native")  # stack/precision.py implements them
# A bound on integer sizes (batch, lengths): beyond it shapes overflow the capture's int64 arithmetic long
# before they mean anything physical; the message names it.
MAX_INT = 2**31 - 1
MAX_TIME_LIMIT_S = 86_400.0

Scalar = Union[int, float, str, bool]


def _opt(help: str, flag: str | None = None, short: str | None = None, axis: str | None = None,
         default: Any = None, cli: bool = True, cli_scale: float | None = None, cli_text: bool = False) -> Any:
    """A request field with its CLI flag, help text and sweep-axis name (plural key of a list axis).
    `cli_scale`: the CLI takes the value in a friendlier unit; field (SI) = CLI value × cli_scale.
    `cli_text`: the CLI takes text ("5%") that the request's validation turns into the field's value."""
    meta = {"help": help, "flag": flag, "short": short, "axis": axis, "cli": cli, "cli_scale": cli_scale,
            "cli_text": cli_text}
    if isinstance(default, dict):
        return field(default_factory=dict, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class CompileRequest:
    """What to compile, onto what, for which objective, under which budgets and limits."""

    model: str = _opt("preset name (e.g. llama2-7b) or path to a HF config.json / its directory", axis="models",
                      cli=False)
    system: str = _opt("system preset or YAML path (lightcode hardware list)", "--system", axis="systems",
                       default=DEFAULT_SYSTEM)
    phase: str = _opt("prefill | decode", "--phase", axis="phases", default="prefill")
    seq_len: Optional[int] = _opt("prompt length S (prefill)", "--seq-len", "-s", axis="seq_lens")
    context: Optional[int] = _opt("decode: KV-cache length C", "--context", "-c", axis="contexts")
    batch: int = _opt("batch size B", "--batch", "-b", axis="batches", default=1)
    dtype: str = _opt("fp16 | bf16 | fp32", "--dtype", default="fp16")
    objective: Optional[str] = _opt(
        "latency | energy | edp | ed2p | pareto (default: all-electronic, latency- and energy-optimal side by side)",
        "--objective", axis="objectives")
    latency_budget_s: Optional[float] = _opt("latency budget, seconds", "--latency-budget")
    energy_budget_j: Optional[float] = _opt("energy budget, joules", "--energy-budget")
    time_limit_s: float = _opt("solver time limit per objective, seconds of solver time", "--time-limit",
                               default=10.0)
    corner: Optional[str] = _opt("conservative | baseline | aggressive (default: the system's own)", "--corner",
                                 axis="corners")
    corner_range: Optional[str] = _opt("all: also report latency, energy and saving at the conservative, baseline "
                                       "and aggressive corners side by side (pipeline/corners.py)", "--corners")
    solver: str = _opt("exact backend: cpsat | highs", "--solver", default="cpsat")
    precision: str = _opt("parity: every unit alike offered only formats at least as wide as the system's "
                          "precision floor (the fair default); native: each unit at its own formats (papers)",
                          "--precision", axis="precisions", default="parity")
    heuristics: bool = _opt("also evaluate the greedy and path-search baselines", "--heuristics/--no-heuristics",
                            default=True)
    split: bool = _opt("also offer each GEMM split between the GPU and a photonic unit, both running at once "
                       "(eighths of its output columns / heads; cost/split.py)", "--split/--no-split", axis="splits",
                       default=False)
    area_budget_m2: Optional[float] = _opt(
        "area budget of the photonic units a mapping may use, mm² (the GPU die not counted); units that do "
        "not fit are left out, the best fitting set kept", "--area-budget", cli_scale=1e-6)
    accuracy: bool = _opt("also replay the all-electronic baseline and each optimum on the model's functional twin "
                          "(numerics/): perplexity, top-1 agreement and KL beside latency and energy",
                          "--accuracy/--no-accuracy", default=False)
    max_ppl_increase: Optional[float] = _opt(
        "accuracy budget: each optimum under a perplexity increase of at most this fraction (e.g. 5% or 0.05), "
        "solved with the additive surrogate, verified on the twin and re-solved tighter until it holds",
        "--max-ppl-increase", cli_text=True)
    accuracy_proxy: Optional[str] = _opt(
        "a model without a twin: take per-op-role sensitivities from this twin (smollm2-135m) — an assumption, "
        "flagged in the output; nothing is measured", "--accuracy-proxy")
    overrides: Mapping[str, Scalar] = _opt("parameter overrides {'unit.param' or 'system.…': value} (hardware/overrides.py)",
                                           default={}, cli=False)

    def __post_init__(self) -> None:
        if isinstance(self.max_ppl_increase, str):  # "5%" (CLI, sweep spec) -> 0.05
            object.__setattr__(self, "max_ppl_increase", _fraction("max_ppl_increase", self.max_ppl_increase))
        _validate(self)
        object.__setattr__(self, "overrides", dict(sorted(dict(self.overrides).items())))

    # --- identity --------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every field (the `request` object of report.json)."""
        return asdict(self)

    def key_dict(self) -> dict[str, Any]:
        """The fields that identify a result: every field, less those at a default that existed before the
        field did (so the store keys of earlier sweeps stay valid when a field is added)."""
        d = self.to_dict()
        for name, default in KEY_DEFAULTS.items():
            if d.get(name) == default:
                d.pop(name, None)
        return d

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.key_dict(), sort_keys=True, separators=(",", ":"),
                                         default=str).encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> "CompileRequest":
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CompileRequest":
        unknown = set(d) - set(FIELD_NAMES)
        if unknown:
            raise BadInputError(f"unknown compile parameter(s) {', '.join(sorted(unknown))}; known: "
                                f"{', '.join(FIELD_NAMES)}")
        return cls(**dict(d))


FIELDS = tuple(fields(CompileRequest))
FIELD_NAMES = tuple(f.name for f in FIELDS)
# Fields added after sweeps began to be stored: at these values they stay out of a point's key.
KEY_DEFAULTS: dict[str, Any] = {"heuristics": True, "solver": "cpsat", "area_budget_m2": None, "corner_range": None,
                                "split": False, "accuracy": False, "max_ppl_increase": None,
                                "accuracy_proxy": None}  # precision: no default kept out:
# results before it existed were computed under today's "native", so they must not match a parity point


def field_default(name: str) -> Any:
    f = next(f for f in FIELDS if f.name == name)
    if f.default is not MISSING:
        return f.default
    return f.default_factory()  # type: ignore[misc]


# --- validation: one message per field, naming what is allowed -------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _positive_int(name: str, v: Any, *, optional: bool) -> None:
    if v is None and optional:
        return
    if not _is_int(v) or not 1 <= v <= MAX_INT:
        raise BadInputError(f"{name} must be an integer from 1 to {MAX_INT}, got {v!r}")


def _integer(name: str, v: Any) -> None:
    if v is not None and (not _is_int(v) or abs(v) > MAX_INT):
        raise BadInputError(f"{name} must be an integer of at most {MAX_INT}, got {v!r}")


def _positive_real(name: str, v: Any, *, optional: bool, most: float = math.inf) -> None:
    if v is None and optional:
        return
    if not _is_real(v) or not 0 < v <= most:
        bound = "" if most == math.inf else f" and at most {most:g}"
        raise BadInputError(f"{name} must be a positive finite number{bound}, got {v!r}")


def _fraction(name: str, text: str) -> float:
    s = text.strip()
    try:
        return float(s[:-1]) / 100.0 if s.endswith("%") else float(s)
    except ValueError:
        raise BadInputError(f"{name} must be a fraction such as 5% or 0.05, got {text!r}") from None


def _choice(name: str, v: Any, allowed: tuple[str, ...], *, optional: bool = False) -> None:
    if v is None and optional:
        return
    if v not in allowed:
        raise BadInputError(f"unknown {name} {v!r}; use one of {', '.join(allowed)}")


def _validate(r: CompileRequest) -> None:
    if not isinstance(r.model, str) or not r.model.strip():
        raise BadInputError("model must be a preset name or a path to a config.json (lightcode compile --help)")
    if not isinstance(r.system, str) or not r.system.strip():
        raise BadInputError("system must be a system name or YAML path (lightcode hardware list)")
    _choice("phase", r.phase, PHASES)
    # lengths: an integer here; its range (1 … the model's position limit) is the capture's, which knows the model
    _integer("seq_len", r.seq_len)
    _integer("context", r.context)
    _positive_int("batch", r.batch, optional=False)
    _choice("dtype", r.dtype, DTYPES)
    if r.objective is not None:
        Objective.parse(r.objective)  # unknown names list the known ones
    _positive_real("latency budget", r.latency_budget_s, optional=True)
    _positive_real("energy budget", r.energy_budget_j, optional=True)
    _positive_real("area budget", r.area_budget_m2, optional=True)
    _positive_real("time limit", r.time_limit_s, optional=False, most=MAX_TIME_LIMIT_S)
    _choice("corner", r.corner, CORNERS, optional=True)
    _choice("corners", r.corner_range, CORNER_RANGES, optional=True)
    _choice("solver", r.solver, SOLVERS)
    _choice("precision policy", r.precision, PRECISION_POLICIES)
    if not isinstance(r.heuristics, bool):
        raise BadInputError(f"heuristics must be true or false, got {r.heuristics!r}")
    if not isinstance(r.split, bool):
        raise BadInputError(f"split must be true or false, got {r.split!r}")
    if not isinstance(r.accuracy, bool):
        raise BadInputError(f"accuracy must be true or false, got {r.accuracy!r}")
    _positive_real("max_ppl_increase", r.max_ppl_increase, optional=True)
    if r.accuracy_proxy is not None and (not isinstance(r.accuracy_proxy, str) or not r.accuracy_proxy.strip()):
        raise BadInputError("accuracy_proxy must name a model with a functional twin (e.g. smollm2-135m)")
    if not isinstance(r.overrides, Mapping):
        raise BadInputError("overrides must be a mapping {'unit.param' or 'system.…': value}")
    # lengths against the phase and the model's position limit: frontend.capture (it knows the model)
