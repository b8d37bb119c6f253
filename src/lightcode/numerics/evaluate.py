"""`evaluate_accuracy`: replay a mapping on the functional twin and measure it against the reference.

Text split (lee_background.cor, 75.7 K tokens): tokens [0, CALIBRATION_END) are the calibration text
(sensitivity profiling, sensitivity.py); evaluation windows and the passkey filler are drawn from
[EVAL_OFFSET, end) only, so no reported figure is measured on text used for calibration.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

from lightcode.errors import BadInputError
from lightcode.numerics import metrics
from lightcode.numerics.derive import GEMM_KINDS, op_numerics
from lightcode.numerics.spec import OpNumerics
from lightcode.numerics.twin import FUNCTIONAL_MODELS, Twin, has_twin

CALIBRATION_END = 20000
EVAL_OFFSET = 40000
REFERENCE_NAME = "SmolLM2-135M-Instruct GGUF Q4_1 weights dequantised, every op at fp32"
ASSUMPTIONS = (
    "only GEMM ops (matmul, attention) change numerics; norms, softmax, rotary and elementwise ops run at fp32",
    "analog: per-token / per-output-channel max-abs scaling onto the DAC range; detector full scale = n analog "
    "products at +-1; link noise FS^2/(2 SNR) and ADC rounding per conversion, sampled per output (kernels.py)",
    "windows are independent (fresh context each); intervals are 95 % t-intervals over windows",
)


@dataclass(frozen=True)
class EvalConfig:
    windows: int = 8
    window: int = 256
    offset: int = EVAL_OFFSET
    passkey_trials: int = 0
    passkey_context: int = 256
    seed: int = 0

    @property
    def tokens(self) -> int:
        return self.windows * self.window


def not_evaluated(model: str) -> dict:
    return {"evaluated": False, "model": model,
            "reason": f"accuracy: not evaluated (no functional twin for {model!r}; twins: "
                      f"{', '.join(FUNCTIONAL_MODELS)})"}


def chosen_realization(stacked, assignment, i: int):
    """The realization op `i` runs under: `assignment.choice[i]` where the assignment carries choices,
    else the first realization on its unit."""
    choice = getattr(assignment, "choice", None)
    if choice is not None:
        return stacked.realizations[i][choice[i]]
    r = stacked.realization(i, assignment.units[i])
    if r is None:
        raise BadInputError(f"op {stacked.graph.ops[i].name!r} has no realization on unit {assignment.units[i]!r}")
    return r


def mapping_numerics(stacked, assignment) -> dict[str, OpNumerics]:
    """Module path -> numerics for every GEMM op of the assignment."""
    out = {}
    for i, op in enumerate(stacked.graph.ops):
        if op.kind in GEMM_KINDS and op.gemms:
            out[op.module] = op_numerics(stacked, i, chosen_realization(stacked, assignment, i))
    return out


class Evaluator:
    """Reference log-probabilities cached per window; one mapped run per call."""

    def __init__(self, model: str = "smollm2-135m", config: EvalConfig = EvalConfig()):
        from lightcode.kvselect import realmodel

        self.twin = Twin(model)
        self.config = config
        ids = realmodel.tokens(config.tokens, model=model, offset=config.offset)
        import torch

        self.ids = torch.from_numpy(ids).view(config.windows, config.window)
        self._ref: list | None = None
        self._ref_stats: list[dict] | None = None
        self._passkey_ref: dict | None = None

    def _logp(self, w: int):
        import torch

        return torch.log_softmax(self.twin.logits(self.ids[w : w + 1])[0], dim=-1)

    def reference(self):
        if self._ref is None:
            import torch

            with self.twin.mapping({}):
                self._ref = [self._logp(w).to(torch.float16) for w in range(self.config.windows)]
            self._ref_stats = [metrics.window_stats(r, r, self.ids[w]) for w, r in enumerate(self._ref)]
        return self._ref

    def run(self, numerics: dict[str, OpNumerics], seed: int | None = None) -> dict:
        ref = self.reference()
        seed = self.config.seed if seed is None else seed
        t0 = time.perf_counter()
        stats = []
        with self.twin.mapping(numerics, seed=seed):
            for w in range(self.config.windows):
                self.twin.reseed(seed * 1_000_003 + w)
                stats.append(metrics.window_stats(self._logp(w), ref[w], self.ids[w]))
        out = metrics.summarise(stats, self._ref_stats)
        out["wall_s"] = time.perf_counter() - t0
        if self.config.passkey_trials:
            from lightcode.numerics.passkey import passkey

            if self._passkey_ref is None:
                self._passkey_ref = passkey(self.twin, {}, self.config)
            out["passkey"] = {"reference": self._passkey_ref, "mapped": passkey(self.twin, numerics, self.config)}
        return out


_EVALUATORS: dict[tuple, Evaluator] = {}


def evaluator(model: str = "smollm2-135m", config: EvalConfig = EvalConfig()) -> Evaluator:
    key = (model, config)
    if key not in _EVALUATORS:
        _EVALUATORS[key] = Evaluator(model, config)
    return _EVALUATORS[key]


def evaluate_accuracy(result_or_assignment, stacked=None, *, config: EvalConfig = EvalConfig(),
                      name: str | None = None) -> dict:
    """Accuracy of a mapping: a CompileResult (its chosen mapping and stacked graph) or an Assignment with
    its StackedGraph. Returns the `accuracy` JSON object (see numerics/README.md)."""
    if stacked is None:
        stacked = result_or_assignment.stacked
        assignment = result_or_assignment.chosen.assignment
    else:
        assignment = getattr(result_or_assignment, "assignment", result_or_assignment)
        if hasattr(result_or_assignment, "chosen"):
            assignment = result_or_assignment.chosen.assignment
    model = stacked.graph.model.name
    if not has_twin(model):
        return not_evaluated(model)
    num = mapping_numerics(stacked, assignment)
    ev = evaluator(model, config)
    res = ev.run(num)
    labels = Counter(n.label for n in num.values())
    derived = sorted({d for n in num.values() for d in n.derived})
    return {"evaluated": True, "model": model, "mapping": name or assignment.method,
            "text": {"name": "lee_background.cor", "offset": config.offset, "windows": config.windows,
                     "window": config.window, "tokens": config.tokens, "held_out": True},
            "reference_name": REFERENCE_NAME, **res,
            "numerics_by_op": dict(labels), "derived": derived, "assumptions": list(ASSUMPTIONS),
            "seed": config.seed}


def ppl_increase(acc: dict) -> float:
    return acc["ppl_increase"]["value"] if acc.get("evaluated") else math.nan
