"""`lightcode generate`: what one request costs — the prefill of an S-token prompt, then the decode steps
that produce the remaining new tokens with a growing KV cache.

Convention (stated in the output): the prefill emits the first new token, so TTFT is the prefill latency;
new tokens 2…T come from T − 1 decode steps at KV-cache contexts S … S+T−2, one step each, and the request
needs S + T positions at most. TPOT is the latency of one decode step (every sequence of the batch gets one
token per step); tokens/s counts B·T tokens over the whole request.

Each phase — the prefill and every decode context — is its own compile (`run_compile` of a CompileRequest),
so each has its own mapping per objective: the all-electronic baseline and each optimum. Decode contexts
are compiled at knots chosen by bisection: an interval is split at its midpoint until the midpoint's cost,
compiled and held out, is within `tolerance` (relative) of the straight line between the interval's ends
for every mapping's latency and energy, and until no interval has a mapping change (ops per unit differ)
that is not located to one step; the steps between knots are interpolated piecewise linearly. The largest
held-out error is reported; `check_every_step` compiles every context and reports the measured error of the
interpolation from the knots alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from lightcode.errors import BadInputError
from lightcode.pipeline.request import MAX_INT, CompileRequest

DEFAULT_TOLERANCE = 0.01  # relative; the user's choice (--tolerance), not a property of any model
DEFAULT_MAX_KNOTS = 33  # compiles of decode contexts at most (--max-knots): each pays a capture today
CONVENTION = ("prefill emits new token 1 (TTFT = prefill latency); tokens 2..T from T-1 decode steps at "
              "KV-cache contexts S..S+T-2; TPOT = one decode step's latency; tokens/s = B*T / request latency")
EXPORT_NOTE = ("each compiled decode context paid its own capture (one torch.export per context) until the "
               "frontend captures decode at any context from one export")


@dataclass
class Phase:
    """One compile's costs per mapping name: latency, energy, breakdown, ops per unit, solver status."""

    context: Optional[int]  # None for the prefill
    costs: dict[str, dict[str, Any]]
    capture_s: float

    @classmethod
    def of(cls, result, context: Optional[int]) -> "Phase":
        maps = {"all-electronic": result.baseline}
        maps.update({k: v for k, v in result.comparison.items() if k != "all-electronic"}
                    if result.comparison else {result.objective: result.chosen})
        costs = {name: {"latency_s": m.sim.latency_s, "energy_j": m.sim.energy_j,
                        "energy_breakdown_j": dict(m.sim.energy_breakdown_j),
                        "ops_by_unit": dict(m.sim.ops_by_unit), "status": m.assignment.status.value}
                 for name, m in maps.items()}
        return cls(context, costs, result.timing_s.get("capture", 0.0))


@dataclass
class GenerateResult:
    request: CompileRequest
    prompt: int
    new_tokens: int
    prefill: Phase
    knots: dict[int, Phase]  # decode context -> its compile
    tolerance: float
    held_out_error: float  # largest relative error at a held-out midpoint (before it became a knot)
    exact: dict[int, Phase] = field(default_factory=dict)  # every context, when checked
    knot_limit_hit: bool = False

    @property
    def contexts(self) -> list[int]:
        return list(range(self.prompt, self.prompt + self.new_tokens - 1))

    @property
    def mappings(self) -> list[str]:
        return list(self.prefill.costs)

    def step_series(self, name: str, quantity: str, knots: Optional[dict[int, Phase]] = None) -> list[float]:
        """QUANTITY (latency_s | energy_j | a breakdown component) of mapping NAME at every decode context,
        interpolated from the knots."""
        k = knots or self.knots
        xs = sorted(k)
        ys = [_quantity(k[c].costs[name], quantity) for c in xs]
        return [_interp(c, xs, ys) for c in self.contexts]

    def totals(self, name: str) -> dict[str, Any]:
        b = self.request.batch
        pre = self.prefill.costs[name]
        lat = self.step_series(name, "latency_s")
        en = self.step_series(name, "energy_j")
        comps = sorted({c for ph in [self.prefill, *self.knots.values()] for c in ph.costs[name]["energy_breakdown_j"]})
        breakdown = {c: pre["energy_breakdown_j"].get(c, 0.0) + sum(self.step_series(name, c)) for c in comps}
        total_s = pre["latency_s"] + sum(lat)
        total_j = pre["energy_j"] + sum(en)
        tokens = b * self.new_tokens
        return {
            "ttft_s": pre["latency_s"],
            "tpot_s": _mean(lat),
            "tpot_p50_s": _percentile(lat, 50), "tpot_p90_s": _percentile(lat, 90),
            "tpot_p99_s": _percentile(lat, 99),
            "request_latency_s": total_s,
            "tokens_per_s": tokens / total_s,
            "energy_per_request_j": total_j,
            "energy_per_token_j": total_j / tokens,
            "energy_breakdown_j": breakdown,
            "phases": {"prefill": {"latency_s": pre["latency_s"], "energy_j": pre["energy_j"]},
                       "decode": {"steps": len(lat), "latency_s": sum(lat), "energy_j": sum(en)}},
            "solver_status": sorted({ph.costs[name]["status"] for ph in [self.prefill, *self.knots.values()]}),
        }

    def mapping_changes(self, name: str) -> list[dict[str, Any]]:
        """Where the ops-per-unit of mapping NAME differ between adjacent compiled contexts (prefill first)."""
        seq = [("prefill", self.prefill)] + [(c, self.knots[c]) for c in sorted(self.knots)]
        out = []
        for (ca, a), (cb, b) in zip(seq, seq[1:]):
            ua, ub = a.costs[name]["ops_by_unit"], b.costs[name]["ops_by_unit"]
            if ua != ub:
                out.append({"from": ca, "to": cb, "located": ca == "prefill" or cb - ca == 1,
                            "ops_by_unit_from": ua, "ops_by_unit_to": ub})
        return out

    def to_json_dict(self) -> dict[str, Any]:
        r = self.request
        interp: dict[str, Any] = {
            "method": "piecewise-linear between compiled decode contexts (knots), bisected until each held-out "
                      "midpoint is within the tolerance for every mapping's latency and energy",
            "tolerance": self.tolerance, "knots": sorted(self.knots),
            "held_out_max_rel_error": self.held_out_error, "knot_limit_hit": self.knot_limit_hit,
        }
        if self.exact:
            interp["checked"] = "every step"
            interp["measured_max_rel_error"] = self.measured_error()
        out = {
            "model": r.model, "system": r.system, "batch": r.batch, "precision": r.precision,
            "objective": r.objective, "prompt": self.prompt, "new_tokens": self.new_tokens,
            "convention": CONVENTION,
            "mappings": {name: {**self.totals(name), "mapping_changes": self.mapping_changes(name)}
                         for name in self.mappings},
            "interpolation": interp,
            "compiles": {"prefill": 1, "decode": len(self.knots) + len(set(self.exact) - set(self.knots))},
            "capture_s": self.prefill.capture_s + sum(p.capture_s for p in {**self.exact, **self.knots}.values()),
            "notes": [EXPORT_NOTE, "heuristic baselines are not evaluated per phase (heuristics off)"],
            "request": r.to_dict(),
        }
        # the contract's short keys: the requested optimum, else the latency optimum
        head = out["mappings"].get(r.objective or "latency") or out["mappings"]["all-electronic"]
        out.update({k: head[k] for k in ("ttft_s", "tpot_s", "tokens_per_s", "energy_per_token_j")})
        return out

    def measured_error(self) -> float:
        """Largest relative error, over every checked context and mapping, of latency and energy interpolated
        from the knots against the context's own compile."""
        worst = 0.0
        xs = sorted(self.knots)
        for name in self.mappings:
            for q in ("latency_s", "energy_j"):
                ys = [self.knots[c].costs[name][q] for c in xs]
                for c, ph in self.exact.items():
                    worst = max(worst, _rel(_interp(c, xs, ys), ph.costs[name][q]))
        return worst

    def plot(self, path: str | Path) -> Path:
        """J/token and TPOT against context, one line per mapping (interpolated), knots marked."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(10, 4))
        ax_t, ax_e = fig.subplots(1, 2)
        xs = self.contexts
        for name in self.mappings:
            lat = self.step_series(name, "latency_s")
            ej = [e / self.request.batch for e in self.step_series(name, "energy_j")]
            line, = ax_t.plot(xs, [v * 1e3 for v in lat], label=name)
            ax_e.plot(xs, ej, label=name, color=line.get_color())
            ks = sorted(self.knots)
            ax_t.plot(ks, [self.knots[c].costs[name]["latency_s"] * 1e3 for c in ks], "o",
                      color=line.get_color(), ms=3)
            ax_e.plot(ks, [self.knots[c].costs[name]["energy_j"] / self.request.batch for c in ks], "o",
                      color=line.get_color(), ms=3)
        ax_t.set(xlabel="KV-cache context (tokens)", ylabel="TPOT (ms)")
        ax_e.set(xlabel="KV-cache context (tokens)", ylabel="energy per output token (J)")
        ax_e.legend(fontsize=8)
        fig.suptitle(f"{self.request.model} on {self.request.system}, batch {self.request.batch}: decode steps "
                     f"(markers: compiled contexts)", fontsize=9)
        fig.tight_layout()
        p = Path(path)
        fig.savefig(p, dpi=150)
        return p


def _quantity(costs: dict[str, Any], q: str) -> float:
    return costs[q] if q in ("latency_s", "energy_j") else costs["energy_breakdown_j"].get(q, 0.0)


def _interp(x: float, xs: list[int], ys: list[float]) -> float:
    import bisect

    if len(xs) == 1:
        return ys[0]
    i = min(max(bisect.bisect_right(xs, x) - 1, 0), len(xs) - 2)
    x0, x1 = xs[i], xs[i + 1]
    return ys[i] + (ys[i + 1] - ys[i]) * (x - x0) / (x1 - x0)


def _rel(approx: float, exact: float) -> float:
    return abs(approx - exact) / abs(exact) if exact else abs(approx)


def _mean(v: list[float]) -> Optional[float]:
    return sum(v) / len(v) if v else None


def _percentile(v: list[float], p: float) -> Optional[float]:
    """Nearest-rank percentile (a TPOT that some step actually has, interpolated or compiled)."""
    if not v:
        return None
    s = sorted(v)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def check_inputs(request: CompileRequest, new_tokens: Any, *, tolerance: float = DEFAULT_TOLERANCE,
                 max_knots: int = DEFAULT_MAX_KNOTS) -> int:
    """The prompt length S (request.seq_len) after checking T, S + T against the model and the knobs."""
    from lightcode.frontend.model_spec import resolve_model

    if not isinstance(new_tokens, int) or isinstance(new_tokens, bool) or not 1 <= new_tokens <= MAX_INT:
        raise BadInputError(f"--new-tokens must be an integer from 1 to {MAX_INT}, got {new_tokens!r}")
    s = request.seq_len
    if s is None:
        raise BadInputError("--prompt (the prompt length S) is required")
    if not (isinstance(tolerance, (int, float)) and 0 < tolerance < 1):
        raise BadInputError(f"--tolerance must be a fraction in (0, 1), got {tolerance!r}")
    if not (isinstance(max_knots, int) and max_knots >= 2):
        raise BadInputError(f"--max-knots must be an integer >= 2, got {max_knots!r}")
    n = resolve_model(request.model).max_positions
    if n is not None and s + new_tokens > n:
        raise BadInputError(f"prompt {s} + new tokens {new_tokens} = {s + new_tokens} exceeds {request.model}'s "
                            f"{n} positions; shorten the prompt or generate fewer tokens")
    return s


def run_generate(request: CompileRequest, new_tokens: int, *, tolerance: float = DEFAULT_TOLERANCE,
                 max_knots: int = DEFAULT_MAX_KNOTS, check_every_step: bool = False) -> GenerateResult:
    """Prefill at request.seq_len, then decode contexts S … S+T−2 at bisected knots (module docstring)."""
    from lightcode.pipeline.compile import run_compile

    s = check_inputs(request, new_tokens, tolerance=tolerance, max_knots=max_knots)
    base = request.replace(heuristics=False)
    prefill = Phase.of(run_compile(base.model, base.replace(phase="prefill", seq_len=s, context=None)), None)
    cache: dict[int, Phase] = {}

    def at(c: int) -> Phase:
        if c not in cache:
            cache[c] = Phase.of(run_compile(base.model, base.replace(phase="decode", context=c, seq_len=None)), c)
        return cache[c]

    held_out, limit_hit = 0.0, False
    if new_tokens > 1:
        lo, hi = s, s + new_tokens - 2
        knots = {c: at(c) for c in dict.fromkeys((lo, hi))}
        todo = [(lo, hi)] if hi - lo > 1 else []
        while todo:
            a, b = todo.pop(0)
            if len(knots) >= max_knots:
                limit_hit = True
                break
            m = (a + b) // 2
            pa, pb, pm = knots[a], knots[b], at(m)
            err = max(_rel(pa.costs[n][q] + (pb.costs[n][q] - pa.costs[n][q]) * (m - a) / (b - a), pm.costs[n][q])
                      for n in pm.costs for q in ("latency_s", "energy_j"))
            held_out = max(held_out, err)
            knots[m] = pm
            changed = any(pa.costs[n]["ops_by_unit"] != pb.costs[n]["ops_by_unit"] for n in pm.costs)
            if err > tolerance or changed:
                todo += [(x, y) for x, y in ((a, m), (m, b)) if y - x > 1]
        knots = dict(sorted(knots.items()))
    else:
        knots = {}
    res = GenerateResult(request=base, prompt=s, new_tokens=new_tokens, prefill=prefill, knots=knots,
                         tolerance=tolerance, held_out_error=held_out, knot_limit_hit=limit_hit)
    if check_every_step:
        res.exact = {c: at(c) for c in res.contexts}
    return res


def generate_point(params: dict[str, Any]) -> dict[str, Any]:
    """The sweep point function of a spec with `new_tokens`: PARAMS are a request's fields plus
    `new_tokens`; the result is `run_generate(...).to_json_dict()`."""
    p = dict(params)
    t = p.pop("new_tokens", None)
    return run_generate(CompileRequest.from_dict(p), t).to_json_dict()
