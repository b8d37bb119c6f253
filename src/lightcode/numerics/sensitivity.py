"""Per-op sensitivity on the calibration text → an additive surrogate of the accuracy loss.

For every GEMM op (here one op per op kind × layer: q/k/v/o/gate/up/down projections, attention, lm_head)
and every distinct numerics among its realizations, the increase of the mean next-token NLL (nats) when
that op alone runs under those numerics and every other op at the reference. The surrogate of a mapping
is the sum over its ops (negative single-op changes, noise around zero, count as 0 so that no op buys
budget for another). ln(1 + max perplexity increase) is the matching budget.

Cost: one partial forward per (op, numerics): the inputs of every decoder layer under the reference are
recorded once, so an op in layer L reruns layers L.. only. Results are cached on disk per (op path,
numerics, calibration text), so a system's profile is paid once and shared by every system that offers
the same numerics.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

from lightcode.numerics.derive import GEMM_KINDS, op_numerics
from lightcode.numerics.evaluate import CALIBRATION_END
from lightcode.numerics.spec import OpNumerics
from lightcode.numerics.twin import Twin


@dataclass(frozen=True)
class ProfileConfig:
    windows: int = 2
    window: int = 128
    offset: int = 0  # calibration text: [0, CALIBRATION_END)
    seed: int = 0

    def __post_init__(self):
        if self.offset + self.windows * self.window > CALIBRATION_END:
            raise ValueError("profiling must stay inside the calibration text")


def _key(model: str, cfg: ProfileConfig, path: str, num: OpNumerics) -> str:
    d = num.to_dict()
    d.pop("derived")
    d.pop("label")
    s = json.dumps([model, cfg.windows, cfg.window, cfg.offset, cfg.seed, path, d], sort_keys=True)
    return hashlib.sha1(s.encode()).hexdigest()[:20]


def _cache_file() -> Path:
    from lightcode.kvselect.realmodel import cache_dir

    p = cache_dir().parent / "numerics"
    p.mkdir(parents=True, exist_ok=True)
    return p / "sensitivity-v1.json"


class Profiler:
    def __init__(self, model: str = "smollm2-135m", config: ProfileConfig = ProfileConfig()):
        self.model, self.config = model, config
        self.file = _cache_file()
        self.cache: dict[str, float] = json.loads(self.file.read_text()) if self.file.exists() else {}
        self.evaluations = 0
        self.wall_s = 0.0
        self._ready = False  # the twin is loaded and its reference recorded on the first uncached delta

    def _load(self):
        import torch

        from lightcode.kvselect import realmodel

        cfg = self.config
        self.twin = Twin(self.model)
        ids = realmodel.tokens(cfg.windows * cfg.window, model=self.model, offset=cfg.offset)
        self.ids = torch.from_numpy(ids).view(cfg.windows, cfg.window)
        self.layers = list(self.twin.lm.model.layers)
        self._record()
        self._ready = True

    def _record(self):
        import torch

        self.inputs: list[tuple] = []
        hooks = [layer.register_forward_pre_hook(lambda m, a, k: self.inputs.append((a, dict(k))), with_kwargs=True)
                 for layer in self.layers]
        final: list = []
        hooks.append(self.twin.lm.lm_head.register_forward_pre_hook(lambda m, a: final.append(a[0])))
        try:
            with torch.no_grad(), self.twin.mapping({}):
                logits = self.twin.logits(self.ids)
        finally:
            for h in hooks:
                h.remove()
        self.final_hidden = final[0]
        self.ref_nll = self._nll(logits)

    def _nll(self, logits) -> float:
        import torch

        lp = torch.log_softmax(logits[:, :-1].float(), -1)
        return float(-lp.gather(-1, self.ids[:, 1:, None]).mean())

    def _run_from(self, layer: int | None):
        """Logits when the network is rerun from decoder layer `layer` (None: only the lm_head)."""
        lm = self.twin.lm
        if layer is None:
            return lm.lm_head(self.final_hidden)
        args, kwargs = self.inputs[layer]
        h = args[0] if args else kwargs["hidden_states"]
        for j in range(layer, len(self.layers)):
            a, kw = self.inputs[j]
            kw = {k: v for k, v in kw.items() if k != "hidden_states"}
            out = self.layers[j](h, *a[1:], **kw)
            h = out[0] if isinstance(out, tuple) else out
        return lm.lm_head(lm.model.norm(h))

    def delta(self, path: str, num: OpNumerics) -> float:
        """Increase of the mean NLL (nats) with only `path` under `num`."""
        import torch

        if num.is_reference:
            return 0.0
        key = _key(self.model, self.config, path, num)
        if key in self.cache:
            return self.cache[key]
        if not self._ready:
            self._load()
        t0 = time.perf_counter()
        layer = int(path.split(".")[2]) if path.startswith("model.layers.") else None
        with torch.no_grad(), self.twin.mapping({path: num}, seed=self.config.seed):
            d = self._nll(self._run_from(layer)) - self.ref_nll
        self.cache[key] = d
        self.evaluations += 1
        self.wall_s += time.perf_counter() - t0
        return d

    def save(self):
        if not self.evaluations:
            return
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.cache))
        tmp.replace(self.file)


def surrogate(stacked, profiler: Profiler, progress=None) -> list[list[float]]:
    """Per op, per realization: the surrogate accuracy cost (ΔNLL nats, ≥ 0; 0 for non-GEMM ops)."""
    side: list[list[float]] = []
    n = stacked.n_ops
    for i, op in enumerate(stacked.graph.ops):
        reals = stacked.realizations[i]
        if op.kind not in GEMM_KINDS or not op.gemms:
            side.append([0.0] * len(reals))
            continue
        row = []
        for r in reals:
            row.append(max(0.0, profiler.delta(op.module, op_numerics(stacked, i, r))))
        side.append(row)
        if progress and i % 50 == 0:
            progress(f"profiled {i}/{n} ops")
    profiler.save()
    return side
