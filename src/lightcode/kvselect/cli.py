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

ALL = ",".join(("full", "oracle", "oracle-kept", "quest", "quest-qhead", "signature", "photonic-signature",
                "photonic-quest"))
CORE = ("mass_recall", "mass_recall_ci95", "block_recall", "block_recall_ci95", "chance_block_recall",
        "kept_mass", "kept_mass_ci95", "kv_fraction_fetched", "output_rel_error")
PASSKEY_PAIRS = (("photonic-signature", "signature"), ("photonic-quest", "quest"), ("signature", "quest"),
                 ("quest", "full"), ("quest-qhead", "quest"))


def _engines(s: str) -> tuple[str, ...]:
    from lightcode.kvselect.engines import ENGINES

    out = tuple(e.strip() for e in s.split(",") if e.strip())
    bad = [e for e in out if e not in ENGINES]
    if bad or not out:
        raise BadInputError(f"unknown engine(s) {bad}; known: {', '.join(ENGINES)}")
    return out


def _out_dir(out: Optional[Path]) -> None:
    """Refuse an unusable --out before any work (an existing file, an uncreatable or unwritable path)."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise BadInputError(f"--out {out} is an existing file; give a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".lightcode-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise BadInputError(f"--out {out}: cannot write there ({e.strerror or e})") from None


@kv.command("eval")
def eval_cmd(
    context: int = typer.Option(4096, help="tokens of context at the evaluated decode steps"),
    block: int = typer.Option(128, help="block size B (tokens)"),
    k: int = typer.Option(8, help="blocks selected per (layer, KV head)"),
    engines: str = typer.Option(ALL, help="comma-separated engines"),
    corner: str = typer.Option("baseline", help="tfln-mrr corner for the photonic engines"),
    sink: int = typer.Option(4, help="attention-sink tokens always kept"),
    window: int = typer.Option(256, help="local window always kept (PRISM: 256)"),
    queries: int = typer.Option(16, help="decode steps evaluated per text window (the last ones before --context)"),
    windows: int = typer.Option(3, help="disjoint 8K text windows (the bootstrap resamples windows, then steps)"),
    d_sig: int = typer.Option(32, help="signature dimensions"),
    reduction: str = typer.Option("pca", help="signature reduction: pca (ours), jl (PRISM's random projection), "
                                              "first (PRISM's code: first d_sig dims), none"),
    centre: bool = typer.Option(True, "--centre/--no-centre",
                                help="photonic engines: remove the prefill blocks' per-column mean (--no-centre: PRISM)"),
    perplexity: bool = typer.Option(False, "--perplexity", help="also teacher-forced perplexity, sparse vs full"),
    passkey: bool = typer.Option(False, "--passkey", help="also passkey retrieval with per-head selection"),
    trials: int = typer.Option(50, help="passkey trials (same trials for every engine)"),
    threads: int = typer.Option(1, help="BLAS and torch threads (1 suits a shared machine)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    out: Optional[Path] = typer.Option(None, "--out", help="directory for results.json and a recall figure "
                                                           "(of this evaluation only)"),
) -> None:
    """Selection quality per (layer, KV head) on SmolLM2-135M's real queries/keys (offline).

    The first run prefills one 8,192-token window per --windows (about 1.5 min each on 2 cores) and caches
    Q/K/V under $LIGHTCODE_CACHE_DIR or ~/.cache/lightcode; later runs reuse them for every context ≤ 8K.
    BLAS and torch run on --threads (default 1); progress goes to stderr."""
    from lightcode.kvselect import engines as en
    from lightcode.kvselect import realmodel as rm

    names = _engines(engines)
    rm.check_context(rm.DEFAULT_MODEL, context)
    if queries < 1:
        raise BadInputError(f"--queries must be >= 1 decode step, got {queries}")
    if trials < 1:
        raise BadInputError(f"--trials must be >= 1 passkey trial, got {trials}")
    if windows < 1:
        raise BadInputError(f"--windows must be >= 1, got {windows}")
    if threads < 1:
        raise BadInputError(f"--threads must be >= 1, got {threads}")
    en.Layout(block, sink, window).check(context - min(queries, context) + 1, k)
    en.EngineConfig(d_sig=d_sig, reduction=reduction)  # validates d_sig and the reduction name
    from lightcode.hardware.load import load_unit

    mrr = load_unit("tfln-mrr", corner).mrr_config()
    _out_dir(out)
    why = rm.available()
    if why:
        raise BadInputError(why)
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)  # the model forward (perplexity, passkey, first prefill)
    with threadpool_limits(limits=threads, user_api="blas"):  # a 64×64 eigh per layer is slower threaded on shared cores
        res = _run_eval(names, context, block, k, mrr, sink, window, queries, windows, d_sig, reduction, centre,
                        perplexity, passkey, trials)
    res["corner"] = corner
    if out is not None:
        from lightcode.kvselect import figures as fg

        fg.recall_bars(res, out / "recall.png")
        (out / "results.json").write_text(json.dumps(res, indent=1))
    if as_json:
        brief = {kk: res[kk] for kk in ("context", "block", "k", "windows", "n_queries", "reduction", "centre",
                                        "corner", "comparisons")}
        brief["engines"] = {e: {m: v[m] for m in CORE} for e, v in res["engines"].items()}
        for extra in ("perplexity", "passkey"):
            if extra in res:
                brief[extra] = {kk: vv for kk, vv in res[extra].items() if kk not in ("outcomes", "kv_fractions")}
        typer.echo(json.dumps(brief, indent=2))
        return
    _print_eval(res)


def _run_eval(names, context, block, k, mrr, sink, window, queries, windows, d_sig, reduction, centre,
              perplexity, passkey, trials) -> dict:
    from lightcode.kvselect import decode as dc
    from lightcode.kvselect import eval as ev
    from lightcode.kvselect import realmodel as rm
    from lightcode.kvselect.progress import Progress

    n = rm.MODELS[rm.DEFAULT_MODEL].max_context
    offsets = rm.window_offsets(windows, n)
    caps = []
    for i, off in enumerate(offsets):  # one cached 8K prefill per window serves every context
        typer.echo(f"window {i + 1}/{len(offsets)}: tokens {off}..{off + n} (prefilled once, then cached)", err=True)
        caps.append(rm.capture(n, offset=off))
    layers = caps[0].n_layers
    res = ev.evaluate(caps, context, block, k, names, mrr=mrr, sink=sink, window=window, n_queries=queries,
                      d_sig=d_sig, reduction=reduction, centre=centre,
                      progress=Progress(len(caps) * layers, f"eval {context} B={block} k={k}"))
    kw = dict(mrr=mrr, sink=sink, window=window, d_sig=d_sig, reduction=reduction, centre=centre)
    if perplexity:
        res["perplexity"] = dc.perplexity(context, block, k, names, progress=Progress(len(names), "perplexity"), **kw)
    if passkey:
        res["passkey"] = dc.passkey(context, block, k, names, trials=trials, pairs=PASSKEY_PAIRS,
                                    progress=Progress(trials, "passkey"), **kw)
    return res


def _ci(v: dict, m: str) -> str:
    lo, hi = v[m + "_ci95"]
    return f"{v[m]:.3f} [{lo:.3f}, {hi:.3f}]"


def _print_eval(res: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"context {res['context']}, B={res['block']}, k={res['k']} (N={res['blocks_min']}-"
                    f"{res['blocks_max']} blocks; chance k/N), {res['layers']} layers, {res['windows']} window(s) × "
                    f"{res['n_queries']} steps, reduction {res['reduction']}, "
                    f"{'centred' if res['centre'] else 'uncentred'}, corner {res['corner']}; [95 % CI]")
    for c in ("engine", "mass recall", "block recall", "chance", "kept mass", "KV fetched", "out rel err"):
        t.add_column(c)
    for e, v in res["engines"].items():
        t.add_row(e, _ci(v, "mass_recall"), _ci(v, "block_recall"), f"{v['chance_block_recall']:.3f}",
                  _ci(v, "kept_mass"), f"{v['kv_fraction_fetched']:.3f}", f"{v['output_rel_error']:.3f}")
    Console().print(t)
    for pair, c in res["comparisons"].items():
        b = c["block_recall"]
        typer.echo(f"{pair}: Δ block recall {b['diff']:+.3f} [{b['ci95'][0]:+.3f}, {b['ci95'][1]:+.3f}], p = {b['p']:.3g}")
    for extra in ("perplexity", "passkey"):
        if extra in res:
            typer.echo(json.dumps({extra: res[extra]["engines"], "comparisons": res[extra].get("comparisons", {})},
                                  indent=1))


def _host_gpu(system: Optional[str], gpu: Optional[str]) -> str:
    """The kvselect GPU key (kvselect/cost.py GPUS) of --system's host, or --gpu as given (default h100)."""
    from lightcode.errors import BadInputError
    from lightcode.kvselect.cost import GPUS

    if system is None:
        return gpu or "h100"
    if gpu is not None:
        raise BadInputError("give --system or --gpu, not both (--gpu is the older spelling)")
    from lightcode.hardware.load import read_system

    host = read_system(system).units[0]
    by_unit = {u: k for k, u in GPUS.items()}
    if host.name not in by_unit:
        raise BadInputError(f"--system {system}: kvselect cost prices a host GPU it knows ({', '.join(GPUS.values())}), "
                            f"not {host.name!r}; pick a system whose first unit is one of them")
    return by_unit[host.name]


@kv.command("cost")
def cost_cmd(
    model: str = typer.Argument(..., help="preset name, e.g. qwen2.5-7b or llama3-8b"),
    context: int = typer.Option(..., "--context", help="context tokens"),
    batch: int = typer.Option(1, help="users decoding together"),
    system: Optional[str] = typer.Option(None, "--system", help="system preset or YAML path whose host GPU "
                                         "decodes (an h100 or a100 host; default h100)"),
    gpu: Optional[str] = typer.Option(None, "--gpu", hidden=True, help="a100 or h100 (older spelling of --system)"),
    corner: str = typer.Option("baseline", help="tfln-mrr corner"),
    block: int = typer.Option(128, help="block size B for signature engines"),
    k: int = typer.Option(32, help="blocks fetched per (user, layer, KV head)"),
    resident: bool = typer.Option(False, "--resident", help="PRISM's assumption: one resident bank per head"),
    parallel_banks: bool = typer.Option(False, "--parallel-banks", help="resident banks of a layer evaluate at once"),
    bank_source: str = typer.Option("link", help="TDM bank reload: link (engine interface, PCIe) or local "
                                                 "(engine-local HBM3 stack)"),
    offload: bool = typer.Option(False, "--offload", help="price KV beyond HBM from host memory over PCIe "
                                                          "(else such points are marked infeasible)"),
    prism: bool = typer.Option(False, "--prism", help="also PRISM's claimed figures beside ours"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    out: Optional[Path] = typer.Option(None, "--out", help="directory for cost.json and energy figure"),
) -> None:
    """Latency and energy of one decode step: full attention, Quest, GPU signature, photonic engines."""
    from lightcode.kvselect import cost as kc

    gpu = _host_gpu(system, gpu)
    sel = kc.Selection(block=block, k=k, resident=resident, parallel_banks=parallel_banks,
                       bank_source=bank_source, offload=offload)
    kc.model_dims(model)
    kc.check_point(model, context, batch, gpu, sel)
    _out_dir(out)
    res = kc.compare(model, context, batch, gpu, sel, corner)
    if prism:
        res["prism_vs_ours"] = kc.prism_claims_vs_ours(model, context, batch, gpu)["claims"]
    if out is not None:
        from lightcode.kvselect import figures as fg

        fg.energy_by_component(res, out / "energy_per_step.png")
        (out / "cost.json").write_text(json.dumps(res, indent=1))
    if as_json:
        typer.echo(json.dumps(res, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{model} decode step, context {context}, batch {batch}, {gpu}, tfln-mrr {corner}"
                    f"{' (resident banks)' if resident else ''}{' (KV offload)' if offload else ''}")
    for c in ("method", "latency ms", "energy mJ", "speed-up", "energy ratio", "KV fetched", "selection path µs"):
        t.add_column(c)
    for mname, r in res["methods"].items():
        ok = r["speedup_vs_full"] is not None
        t.add_row(mname, f"{r['latency_s'] * 1e3:.3f}", f"{r['energy_j'] * 1e3:.1f}",
                  f"{r['speedup_vs_full']:.2f}x" if ok else "infeasible",
                  f"{r['energy_ratio_vs_full']:.3f}" if ok else "—", f"{r['kv_fraction_fetched']:.3f}",
                  f"{r['time_s']['selection_critical_path'] * 1e6:.1f}")
    Console().print(t)
    first = next(iter(res["methods"].values()))
    if first["beyond_trained_context"]:
        typer.echo(f"note: context {context} is beyond {model}'s max_position_embeddings (priced with the same dims)")
    for mname, r in res["methods"].items():
        if not r["feasible"]:
            typer.echo(f"note: {mname} infeasible: {r['infeasible_reason']}")
    if offload and first["capacity"]["kv_offload_fraction"] > 0:
        typer.echo(f"note: {first['capacity']['kv_offload_fraction']:.1%} of the KV is read from host memory over PCIe")
    typer.echo(f"assumptions: {res['assumptions']}")
    if prism:
        typer.echo(json.dumps(res["prism_vs_ours"], indent=1))


def register(app: typer.Typer) -> None:
    app.add_typer(kv, name="kvselect")
