"""`lightcode kvselect eval | cost` — block-selection accuracy on a real model, and system cost per step.

Heavy imports (torch, transformers, the model) happen inside the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from lightcode.errors import BadInputError

kv = typer.Typer(help="PRISM-style KV-cache block selection: accuracy (eval) and system cost (cost).",
                 no_args_is_help=True)

ALL = "full,oracle,quest,signature,photonic-signature,photonic-quest"
CORE = ("mass_recall", "block_recall", "chance_block_recall", "kv_fraction_fetched", "output_rel_error")


def _engines(s: str) -> tuple[str, ...]:
    from lightcode.kvselect.engines import ENGINES

    out = tuple(e.strip() for e in s.split(",") if e.strip())
    bad = [e for e in out if e not in ENGINES]
    if bad or not out:
        raise BadInputError(f"unknown engine(s) {bad}; known: {', '.join(ENGINES)}")
    return out


@kv.command("eval")
def eval_cmd(
    context: int = typer.Option(4096, help="tokens of context at the evaluated decode steps"),
    block: int = typer.Option(128, help="block size B (tokens)"),
    k: int = typer.Option(8, help="blocks selected per (layer, KV head)"),
    engines: str = typer.Option(ALL, help="comma-separated engines"),
    corner: str = typer.Option("baseline", help="tfln-mrr corner for the photonic engines"),
    sink: int = typer.Option(4, help="attention-sink tokens always kept"),
    window: int = typer.Option(256, help="local window always kept (PRISM: 256)"),
    queries: int = typer.Option(16, help="decode steps evaluated (the last ones before --context)"),
    d_sig: int = typer.Option(32, help="signature dimensions"),
    reduction: str = typer.Option("pca", help="signature reduction: pca, first, random, none"),
    perplexity: bool = typer.Option(False, "--perplexity", help="also teacher-forced perplexity, sparse vs full"),
    passkey: bool = typer.Option(False, "--passkey", help="also passkey retrieval with per-head selection"),
    trials: int = typer.Option(5, help="passkey trials"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    out: Optional[Path] = typer.Option(None, "--out", help="directory for results.json and figures"),
) -> None:
    """Selection quality per (layer, KV head) on SmolLM2-135M's real queries/keys (offline).

    The first run prefills 8,192 tokens once (about a minute on 2 cores) and caches Q/K/V under
    $LIGHTCODE_CACHE_DIR or ~/.cache/lightcode; later runs reuse it for every context ≤ 8K."""
    from lightcode.kvselect import engines as en
    from lightcode.kvselect import realmodel as rm

    names = _engines(engines)
    rm.check_context(rm.DEFAULT_MODEL, context)
    en.Layout(block, sink, window).check(context - min(queries, context) + 1, k)
    if reduction not in ("pca", "first", "random", "none"):
        raise BadInputError(f"unknown reduction {reduction!r}; use pca, first, random or none")
    why = rm.available()
    if why:
        raise BadInputError(why)
    from lightcode.hardware.load import load_unit
    from lightcode.kvselect import eval as ev

    mrr = load_unit("tfln-mrr", corner).mrr_config()
    cap = rm.capture(rm.MODELS[rm.DEFAULT_MODEL].max_context)  # one cached 8K prefill serves every context
    res = ev.evaluate(cap, context, block, k, names, mrr=mrr, sink=sink, window=window, n_queries=queries,
                      d_sig=d_sig, reduction=reduction)
    res["corner"] = corner
    if perplexity or passkey:
        from lightcode.kvselect import decode as dc

        if perplexity:
            res["perplexity"] = dc.perplexity(context, block, k, names, mrr=mrr, sink=sink, window=window,
                                              d_sig=d_sig, reduction=reduction)
        if passkey:
            res["passkey"] = dc.passkey(context, block, k, names, mrr=mrr, trials=trials, sink=sink,
                                        window=window, d_sig=d_sig, reduction=reduction)
    if out is not None:
        _eval_figures(out, cap, res, names, block, k, sink, window, queries, d_sig, reduction, mrr)
    if as_json:
        brief = {kk: res[kk] for kk in ("context", "block", "k")}
        brief["engines"] = {e: {m: v[m] for m in CORE} for e, v in res["engines"].items()}
        for extra in ("perplexity", "passkey"):
            if extra in res:
                brief[extra] = res[extra]
        typer.echo(json.dumps(brief, indent=2))
        return
    _print_eval(res)


def _print_eval(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"context {res['context']}, B={res['block']}, k={res['k']} (N={res['blocks_min']}-"
                    f"{res['blocks_max']} blocks; chance k/N), {res['layers']} layers, corner {res['corner']}")
    for c in ("engine", "mass recall", "p10 heads", "block recall", "chance", "KV fetched", "out rel err"):
        t.add_column(c)
    for e, v in res["engines"].items():
        t.add_row(e, f"{v['mass_recall']:.3f}", f"{v['mass_recall_p10_heads']:.3f}", f"{v['block_recall']:.3f}",
                  f"{v['chance_block_recall']:.3f}", f"{v['kv_fraction_fetched']:.3f}", f"{v['output_rel_error']:.3f}")
    Console().print(t)
    for extra in ("perplexity", "passkey"):
        if extra in res:
            typer.echo(json.dumps({extra: res[extra]["engines"]}, indent=1))


def _eval_figures(out: Path, cap, res, names, block, k, sink, window, queries, d_sig, reduction, mrr) -> None:
    from lightcode.hardware.load import load_unit
    from lightcode.kvselect import engines as en
    from lightcode.kvselect import eval as ev
    from lightcode.kvselect import figures as fg

    out.mkdir(parents=True, exist_ok=True)
    lay = en.Layout(block, sink, window)
    series = []
    for c in (1024, 2048, 4096, 8192):
        if lay.n_candidates(c - queries) >= k:
            series.append(res if c == res["context"] else ev.evaluate(
                cap, c, block, k, names, mrr=mrr, sink=sink, window=window, n_queries=queries, d_sig=d_sig,
                reduction=reduction))
    if series:
        fg.recall_vs_context(series, out / "recall_vs_context.png")
    rows = []
    for corner in ("aggressive", "baseline", "conservative"):
        cfg = load_unit("tfln-mrr", corner).mrr_config()
        for bits in (4, 6, 8):
            r = ev.evaluate(cap, res["context"], block, k, ("photonic-signature",), mrr=cfg.with_(adc_bits=bits),
                            sink=sink, window=window, n_queries=queries, d_sig=d_sig, reduction=reduction)
            v = r["engines"]["photonic-signature"]
            rows.append((f"{corner} ADC {bits}b", v["mass_recall"], v["block_recall"]))
    sig = res["engines"].get("signature")
    if sig:
        rows.append(("digital signature", sig["mass_recall"], sig["block_recall"]))
    fg.recall_vs_setting(rows, res["engines"][names[-1]]["chance_block_recall"] if names[-1] != "full" else 0.0,
                         f"photonic-signature at context {res['context']}, B={block}, k={k}",
                         out / "recall_vs_bits_impairments.png")
    (out / "results.json").write_text(json.dumps(res, indent=1))


@kv.command("cost")
def cost_cmd(
    model: str = typer.Argument(..., help="preset name, e.g. qwen2.5-7b or llama3-8b"),
    context: int = typer.Option(..., "--context", help="context tokens"),
    batch: int = typer.Option(1, help="users decoding together"),
    gpu: str = typer.Option("h100", help="a100 or h100"),
    corner: str = typer.Option("baseline", help="tfln-mrr corner"),
    block: int = typer.Option(128, help="block size B for signature engines"),
    k: int = typer.Option(32, help="blocks fetched per (user, layer, KV head)"),
    resident: bool = typer.Option(False, "--resident", help="PRISM's assumption: one resident bank per head"),
    prism: bool = typer.Option(False, "--prism", help="also PRISM's claimed figures beside ours"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    out: Optional[Path] = typer.Option(None, "--out", help="directory for cost.json and energy figure"),
) -> None:
    """Latency and energy of one decode step: full attention, Quest, GPU signature, photonic engines."""
    from lightcode.kvselect import cost as kc

    sel = kc.Selection(block=block, k=k, resident=resident)
    res = kc.compare(model, context, batch, gpu, sel, corner)
    if prism:
        res["prism_vs_ours"] = kc.prism_claims_vs_ours(model, context, batch, gpu)["claims"]
    if out is not None:
        from lightcode.kvselect import figures as fg

        out.mkdir(parents=True, exist_ok=True)
        fg.energy_by_component(res, out / "energy_per_step.png")
        (out / "cost.json").write_text(json.dumps(res, indent=1))
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{model} decode step, context {context}, batch {batch}, {gpu}, tfln-mrr {corner}"
                    f"{' (resident banks)' if resident else ''}")
    for c in ("method", "latency ms", "energy mJ", "speed-up", "energy ratio", "KV fetched", "selection path µs"):
        t.add_column(c)
    for mname, r in res["methods"].items():
        t.add_row(mname, f"{r['latency_s'] * 1e3:.3f}", f"{r['energy_j'] * 1e3:.1f}", f"{r['speedup_vs_full']:.2f}x",
                  f"{r['energy_ratio_vs_full']:.3f}", f"{r['kv_fraction_fetched']:.3f}",
                  f"{r['time_s']['selection_critical_path'] * 1e6:.1f}")
    Console().print(t)
    if next(iter(res["methods"].values()))["beyond_trained_context"]:
        typer.echo(f"note: context {context} is beyond {model}'s max_position_embeddings (priced with the same dims)")
    if not next(iter(res["methods"].values()))["fits_hbm"]:
        typer.echo("note: weights + full KV exceed the GPU's HBM capacity at this batch/context")
    if prism:
        typer.echo(json.dumps(res["prism_vs_ours"], indent=1))


def register(app: typer.Typer) -> None:
    app.add_typer(kv, name="kvselect")
