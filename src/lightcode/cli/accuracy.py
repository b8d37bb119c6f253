"""`lightcode accuracy MODEL`: does the mapping still compute the model? Replays the all-electronic
baseline and the optimum (or an assignment from a file, or the accuracy-constrained optimum) on the
functional twin and prints perplexity, top-1 agreement, KL and passkey beside latency and energy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from lightcode.core.si import si


def _fmt(acc: dict) -> str:
    if not acc.get("evaluated"):
        return "accuracy: not evaluated"
    m, d = acc["mapped"], acc["ppl_increase"]
    return (f"ppl {m['perplexity']:.4g} [{m['ci95'][0]:.4g}, {m['ci95'][1]:.4g}]  "
            f"Δppl {d['value']:+.2%} [{d['ci95'][0]:+.2%}, {d['ci95'][1]:+.2%}]  "
            f"top-1 {m['top1_agreement']['value']:.3f}  KL {m['kl_nats']['value']:.3g} nats")


def register(app: typer.Typer) -> None:
    @app.command("accuracy")
    def accuracy_cmd(
        model: str = typer.Argument(..., help="preset with a functional twin (smollm2-135m); others report 'not evaluated'"),
        system: str = typer.Option("h100+ddot-b-4bit", "--system", help="system preset or YAML path"),
        corner: Optional[str] = typer.Option(None, "--corner", help="conservative | baseline | aggressive"),
        objective: str = typer.Option("energy", "--objective", help="latency | energy | edp"),
        seq_len: int = typer.Option(512, "--seq-len", "-s", help="prefill length of the compiled graph"),
        assignment: Optional[str] = typer.Option(None, "--assignment", help="JSON file: 'units' per op or report.json-style 'ops'"),
        max_ppl_increase: Optional[str] = typer.Option(None, "--max-ppl-increase", help="also the accuracy-constrained optimum, e.g. 5%"),
        windows: int = typer.Option(8, "--windows", help="held-out text windows"),
        window: int = typer.Option(256, "--window", help="tokens per window"),
        passkey_trials: int = typer.Option(8, "--passkey-trials", help="passkey trials (0: skip)"),
        time_limit: float = typer.Option(10.0, "--time-limit", help="solver time limit, seconds"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
        out: Optional[str] = typer.Option(None, "--out", help="write accuracy.json here"),
    ) -> None:
        """Functional accuracy of MODEL's mappings on SYSTEM, beside their latency and energy."""
        from lightcode.core.selection import Objective
        from lightcode.numerics import evaluate as ev
        from lightcode.numerics.compare import assignment_from_file, mapping_row, parse_fraction
        from lightcode.pipeline.compile import run_compile
        from lightcode.sim.simulate import simulate

        Objective.parse(objective)
        budget = None if max_ppl_increase is None else parse_fraction(max_ppl_increase)
        if budget is not None and not budget > 0:
            from lightcode.errors import BadInputError

            raise BadInputError(f"--max-ppl-increase must be positive, got {max_ppl_increase}")
        res = run_compile(model, system=system, seq_len=seq_len, objective=objective, corner=corner,
                          time_limit_s=time_limit, heuristics=False)
        st = res.stacked
        cfg = ev.EvalConfig(windows=windows, window=window, passkey_trials=passkey_trials)
        out_d = {"model": res.model, "system": res.system, "objective": objective, "seq_len": seq_len,
                 "corner": corner, "mappings": []}
        if not ev.has_twin(res.model):
            out_d["accuracy"] = ev.not_evaluated(res.model)
        else:
            rows = [mapping_row("all-electronic", res.baseline.assignment, res.baseline.sim, st, cfg)]
            if assignment:
                a = assignment_from_file(st, assignment)
                rows.append(mapping_row(f"file:{Path(assignment).name}", a, simulate(st, a), st, cfg))
            else:
                rows.append(mapping_row(f"{objective}-optimal", res.chosen.assignment, res.chosen.sim, st, cfg))
            if budget is not None:
                from lightcode.numerics.accuracy_select import select_with_accuracy

                a, rep = select_with_accuracy(st, objective, budget, eval_config=cfg, time_limit_s=time_limit,
                                              progress=None if as_json else typer.echo)
                row = mapping_row(f"{objective}-optimal, ppl +{budget:.0%} max", a, simulate(st, a), st, cfg)
                rep.pop("accuracy", None)
                row["accuracy_selection"] = rep
                rows.append(row)
            out_d["mappings"] = rows
        if out:
            d = Path(out)
            d.mkdir(parents=True, exist_ok=True)
            (d / "accuracy.json").write_text(json.dumps(out_d, indent=1, sort_keys=True))
        if as_json:
            typer.echo(json.dumps(out_d, sort_keys=True))
            return
        typer.echo(f"{res.model} prefill S={seq_len} on {res.system}, objective {objective}")
        if "accuracy" in out_d:
            typer.echo(out_d["accuracy"]["reason"])
            return
        ref = out_d["mappings"][0]["accuracy"]["reference"]
        typer.echo(f"reference ({ev.REFERENCE_NAME}): ppl {ref['perplexity']:.4g} "
                   f"[{ref['ci95'][0]:.4g}, {ref['ci95'][1]:.4g}] over {cfg.tokens} held-out tokens")
        for r in out_d["mappings"]:
            typer.echo(f"  {r['name']:<34} {si(r['latency_s'], 's'):>11} {si(r['energy_j'], 'J'):>11}  {_fmt(r['accuracy'])}")
            pk = r["accuracy"].get("passkey")
            if pk:
                typer.echo(f"  {'':<34} passkey {pk['mapped']['accuracy']:.0%} (reference {pk['reference']['accuracy']:.0%},"
                           f" {pk['mapped']['trials']} trials)")
            sel = r.get("accuracy_selection")
            if sel:
                f = sel["final"]
                typer.echo(f"  {'':<34} {sel['n_rounds']} round(s), predicted {f['predicted_ppl_increase']:+.2%}, "
                           f"measured {f['measured_ppl_increase']:+.2%}, holds: {sel['holds']} ({f['selection']})")
