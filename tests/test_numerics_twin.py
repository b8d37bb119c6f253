"""The functional twin on the real model: exact reference reproduction, the preset's capture op for op,
and 'accuracy: not evaluated' for models without a twin."""

import pytest

from lightcode.kvselect import realmodel as rm

WHY = rm.available()
needs_model = pytest.mark.skipif(WHY is not None, reason=f"real model unavailable: {WHY}")


@pytest.fixture(scope="module")
def twin():
    from lightcode.numerics.twin import Twin

    return Twin()


@needs_model
def test_zero_noise_full_width_reproduces_reference_logits_exactly(twin):
    import torch

    from lightcode.core.formats import FP32
    from lightcode.numerics.spec import AnalogGemm, OpNumerics

    ids = torch.from_numpy(rm.tokens(48, offset=40000))[None]
    with twin.mapping({}):
        ref = twin.logits(ids)
    stock = twin.lm(input_ids=ids, use_cache=False).logits  # the model as transformers runs it
    assert torch.equal(ref, stock)
    paths = twin.op_paths()
    for num in (OpNumerics("fp32", FP32, FP32, FP32), OpNumerics("ideal analog", analog=(AnalogGemm(12, None, float("inf")),) * 2)):
        with twin.mapping({p: num for p in paths}):
            assert torch.equal(twin.logits(ids), ref)
    A8 = __import__("lightcode.core.formats", fromlist=["NumberFormat"]).NumberFormat("analog-8b", "analog", 8)
    kl = []
    for snr in (1e4, 1e6):  # noise on one op: less SNR, further from the reference
        with twin.mapping({"model.layers.3.mlp.down_proj": OpNumerics("a", A8, A8, analog=(AnalogGemm(64, None, snr),))}):
            out = twin.logits(ids)
        kl.append(float((ref.log_softmax(-1).exp() * (ref.log_softmax(-1) - out.log_softmax(-1))).sum(-1).mean()))
    assert kl[0] > kl[1] > 0


@needs_model
def test_the_twin_that_installs_a_mapping_is_the_one_that_runs(twin):
    import torch

    from lightcode.core.formats import FP16
    from lightcode.numerics.spec import OpNumerics
    from lightcode.numerics.twin import Twin

    ids = torch.from_numpy(rm.tokens(16, offset=40000))[None]
    with twin.mapping({}):
        ref = twin.logits(ids)
    Twin()  # a second twin of the same model (e.g. the profiler's) must not hijack the first one's mapping
    with twin.mapping({"lm_head": OpNumerics("fp16", FP16, FP16, FP16)}):
        assert not torch.equal(twin.logits(ids), ref)


@needs_model
def test_preset_capture_matches_the_functional_model_op_for_op(twin):
    import lightcode as lc
    from lightcode.numerics.derive import GEMM_KINDS

    g = lc.capture("smollm2-135m", seq_len=64)
    gemm_ops = [op for op in g.ops if op.kind in GEMM_KINDS]
    paths = [op.module for op in gemm_ops]
    assert len(set(paths)) == len(paths) and sorted(paths) == sorted(twin.op_paths())  # one op per module
    for op in gemm_ops:
        if op.kind == "matmul":
            lin = twin.linears[op.module]
            (gm,) = op.gemms
            assert (gm.k, gm.n) == (lin.in_features, lin.out_features), op.module
        else:
            att = twin.attentions[op.module]
            assert op.gemms[0].batch == twin.lm.config.num_attention_heads and op.layer == att.layer_idx
    cfg = twin.lm.config
    from lightcode.frontend.presets import PRESETS

    for k, v in PRESETS["smollm2-135m"].items():
        if k in ("model_type", "rope_theta"):
            continue
        assert getattr(cfg, k) == (v if isinstance(v, str) else pytest.approx(v, rel=1e-6)), k
    assert cfg.rope_parameters["rope_theta"] == PRESETS["smollm2-135m"]["rope_theta"]


def test_models_without_a_twin_are_not_evaluated(run_cli):
    import json

    code, out, _ = run_cli("accuracy", "gpt2", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["accuracy"]["evaluated"] is False and "not evaluated" in d["accuracy"]["reason"]
    assert d["mappings"] == []
