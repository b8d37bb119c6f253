"""Prefill capture by replication: export the model with two layers and stamp out the rest.

A cold `torch.export` of Llama-2-7B cost ~9 s of CPU, most of it per layer, for 32 layers that are the same
module with other weights. Exporting two layers (layer 0 and a representative layer 1) and copying layer 1
with renamed modules and parameters gives the RawGraph the full export gives (checked op for op against full
exports, tests/test_capture_replicate.py and tests/test_frontend_families.py). For every family whose config
says its layers are identical (no per-layer schedule, no dense-then-MoE stack), and only when layer 0 and
layer 1 came out with the same ATen sequence; otherwise the caller exports the whole model.
"""

from __future__ import annotations

import dataclasses
import re

from lightcode.frontend.model_spec import ModelSpec
from lightcode.frontend.rawgraph import RawGraph, RawNode, RawTensor

_LAYER_RE = re.compile(r"^(.*?\.(?:layers|h))\.(\d+)(?=\.|$)")


def _uniform(cfg: dict, n_layers: int, config_class=None) -> bool:
    """Are the layers one module repeated? Not with per-layer schedules (layer_types that differ, windows on
    some layers only) or dense-then-MoE stacks (the config class's defaults count: DeepSeek-V3's is 3)."""
    cfg = {k: getattr(config_class, k) for k in ("first_k_dense_replace", "decoder_sparse_step", "mlp_only_layers")
           if config_class is not None and isinstance(getattr(config_class, k, None), (int, list, tuple))} | cfg
    if cfg.get("use_sliding_window") and cfg.get("max_window_layers", n_layers) < n_layers:
        return False
    if (cfg.get("first_k_dense_replace") or 0) > 0 or (cfg.get("decoder_sparse_step") or 1) > 1 \
            or cfg.get("mlp_only_layers"):
        return False
    for v in cfg.values():  # any per-layer list (layer_types, …) must be one value repeated
        if isinstance(v, (list, tuple)) and len(v) == n_layers and len({str(x) for x in v}) > 1:
            return False
    return True


def reduced_spec(spec: ModelSpec) -> tuple[ModelSpec, int] | None:
    """A two-layer copy of `spec` and the real layer count, or None when replication does not apply."""
    from lightcode.frontend.arch import layer_count_key

    cfg = dict(spec.config)
    try:
        from transformers import CONFIG_MAPPING

        config_class = CONFIG_MAPPING[cfg.get("model_type")]
    except (KeyError, ImportError):
        return None
    key = layer_count_key(cfg, config_class)
    n = cfg.get(key) if key else None
    if not isinstance(n, int) or isinstance(n, bool) or n < 3 or not _uniform(cfg, n, config_class):
        return None
    cfg[key] = 2
    for k, v in list(cfg.items()):
        if isinstance(v, (list, tuple)) and len(v) == n:
            cfg[k] = type(v)(v[:2])
    return dataclasses.replace(spec, config=cfg), n


def _layer(module: str) -> int | None:
    m = _LAYER_RE.match(module)
    return int(m.group(2)) if m else None


def _rename(s: str, prefix: str, k: int) -> str:
    """`<prefix>.1…` -> `<prefix>.k…` (prefix e.g. "model.layers")."""
    head = f"{prefix}.1"
    if s == head or s.startswith(head + "."):
        return f"{prefix}.{k}" + s[len(head):]
    return s


def replicate(raw: RawGraph, n_layers: int) -> RawGraph | None:
    """The RawGraph of an `n_layers` model from the RawGraph of its two-layer export (None if its layers do
    not line up: pre-layer nodes, layer 0, layer 1, post-layer nodes, layer 0 and 1 alike)."""
    nodes = raw.nodes
    lay = [_layer(n.module) for n in nodes]
    l0 = [i for i, x in enumerate(lay) if x == 0]
    l1 = [i for i, x in enumerate(lay) if x == 1]
    if not l0 or len(l0) != len(l1) or l0 != list(range(l0[0], l0[-1] + 1)) or \
            l1 != list(range(l0[-1] + 1, l0[-1] + 1 + len(l1))) or any(x is not None for x in lay[l1[-1] + 1:]) or \
            [nodes[i].aten for i in l0] != [nodes[i].aten for i in l1]:
        return None
    prefix = _LAYER_RE.match(nodes[l1[0]].module).group(1)
    pos0 = {i: j for j, i in enumerate(l0)}  # layer-0 node -> position in its layer
    tensors = list(raw.tensors)
    new_nodes = list(nodes[: l1[-1] + 1])
    # per copied layer: tensor id in layer 1 -> tensor id in layer k (layer 1 maps to itself)
    prev = {t: t for i in l1 for t in nodes[i].outputs}
    params: dict[int, int] = {}

    def add_tensor(t: RawTensor, name: str, producer: int | None) -> int:
        tensors.append(RawTensor(len(tensors), t.shape, t.dtype, t.origin, name, producer))
        return len(tensors) - 1

    for k in range(2, n_layers):
        cur: dict[int, int] = {}
        params = {}

        def remap(t: int) -> int:
            src = raw.tensors[t]
            if t in cur:
                return cur[t]
            if src.producer is not None and src.producer in pos0:  # layer 0's output feeds layer 1
                j = pos0[src.producer]
                m = nodes[src.producer].outputs.index(t)
                return prev[nodes[l1[j]].outputs[m]]
            if src.origin == "param" and _rename(src.name, prefix, k) != src.name:
                if t not in params:
                    params[t] = add_tensor(src, _rename(src.name, prefix, k), None)
                return params[t]
            return t  # shared: inputs, buffers, the mask, rotary tables

        for i in l1:
            n = nodes[i]
            idx = len(new_nodes)
            ins = [remap(t) for t in n.inputs]
            outs = []
            for t in n.outputs:
                cur[t] = add_tensor(raw.tensors[t], f"{raw.tensors[t].name}.L{k}", idx)
                outs.append(cur[t])
            attrs = dict(n.attrs)
            if attrs.get("mask_args"):
                attrs["mask_args"] = [remap(t) for t in attrs["mask_args"]]
            new_nodes.append(RawNode(idx, f"{n.name}.L{k}", n.aten, n.kind, _rename(n.module, prefix, k),
                                     n.module_class, ins, outs, attrs))
        prev = cur
    # post-layer nodes read the last layer
    last = prev
    shift = len(new_nodes) - (l1[-1] + 1)
    for n in nodes[l1[-1] + 1:]:
        idx = n.idx + shift
        for t in n.outputs:
            tensors[t] = dataclasses.replace(tensors[t], producer=idx)
        ins = [last.get(t, t) for t in n.inputs]
        attrs = dict(n.attrs)
        if attrs.get("mask_args"):
            attrs["mask_args"] = [last.get(t, t) for t in attrs["mask_args"]]
        new_nodes.append(dataclasses.replace(n, idx=idx, inputs=ins, attrs=attrs))
    outputs = [last.get(t, t) for t in raw.graph_outputs]
    return RawGraph(tensors, new_nodes, outputs, raw.symbol, raw.symbol_range)
