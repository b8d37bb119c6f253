"""`lightcode sweep …` and `lightcode reproduce …`.

`lightcode sweep SPEC.yaml` runs a sweep; `lightcode sweep export|plot` read its database. A first
argument that is not a sub-command name is taken as a spec path (the hidden `run` sub-command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from lightcode.core.si import si


class _SweepGroup(TyperGroup):
    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


sweep_app = typer.Typer(cls=_SweepGroup, help="Design-space sweeps on Dask, results in SQLite (resumable).\n\n"
                        "lightcode sweep SPEC.yaml [--workers N] [--scheduler ADDR] [--db FILE] [--out DIR] "
                        "[--retry-errors]  runs a spec; export and plot read its database.",
                        no_args_is_help=True, add_completion=False)


@sweep_app.command("run", hidden=True)
def sweep_run(
    spec: Path = typer.Argument(..., help="sweep spec YAML (see README, 'Sweeps')"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="address of a running Dask scheduler, e.g. tcp://host:8786"),
    workers: int = typer.Option(2, "--workers", "-w", help="LocalCluster worker processes (1 thread each); 0 = in-process, no Dask"),
    db: Optional[Path] = typer.Option(None, "--db", help="SQLite results database, created if missing (default: "
                                      "OUT/results.sqlite with --out, else ./results.sqlite)"),
    out: Optional[Path] = typer.Option(None, "--out", help="also write results.csv and figures into DIR"),
    retry_errors: bool = typer.Option(False, "--retry-errors", help="recompute points recorded as errors"),
    retry_feasible: bool = typer.Option(False, "--retry-feasible",
                                        help="recompute points whose solver hit its time limit (FEASIBLE, not OPTIMAL)"),
    point: Optional[str] = typer.Option(None, "--point", hidden=True, help="module:function point function (testing)"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object (the run's summary and files)"),
) -> None:
    """Run SPEC's Cartesian product; finished points already in --db are skipped."""
    from lightcode.core.outputs import check_out_dir, check_out_file
    from lightcode.errors import BadInputError
    from lightcode.experiments.spec import load_spec
    from lightcode.experiments.sweep import check_scheduler, run_sweep

    if workers < 0 or workers > 256:
        raise BadInputError(f"--workers must be from 0 to 256, got {workers}")
    s = load_spec(spec)
    _say_hardware_warnings(s)
    if scheduler is not None:
        check_scheduler(scheduler)
    if out is not None:
        check_out_dir(out)
    db = db if db is not None else (out / "results.sqlite" if out is not None else Path("results.sqlite"))
    check_out_file(db, "--db")  # before any work: an unwritable path fails fast
    summary = run_sweep(s, db, point_fn=point, scheduler=scheduler, workers=workers, retry_errors=retry_errors,
                        retry_feasible=retry_feasible)
    line = (f"{s.name} [{summary.spec_hash}]: {summary.total} points, {summary.skipped} already done, "
            f"{summary.ok} ok, {summary.errors} errors in {si(summary.wall_s, 's', 3)} → {db} "
            f"(model {summary.model_fingerprint})")
    files = _export_and_plot(db, out, summary.spec_hash) if out is not None else []
    if as_json:
        import dataclasses
        import json

        typer.echo(json.dumps({"spec": s.name, **dataclasses.asdict(summary), "db": str(db),
                               "files": [str(f) for f in files]}))
        return
    typer.echo(line)
    if out is not None:
        typer.echo(f"wrote {out / 'results.csv'} and figures to {out}")


def _say_hardware_warnings(s) -> None:
    """Read every system at every corner here, so a loader's warning (a corner a unit lacks) is printed once
    by this process rather than by each worker (worker_init.py silences theirs). A system that does not load
    is left to its points, which record the error."""
    from lightcode.errors import ConfigError
    from lightcode.hardware.load import read_system

    for system in s.systems:
        for corner in s.corners:
            try:
                read_system(system, corner)
            except ConfigError:
                continue


def _export_and_plot(db: Path, out: Path, spec_hash: Optional[str]) -> list[Path]:
    from lightcode.experiments.export import plot_sweep, to_frame, write_table
    from lightcode.experiments.store import open_existing

    with open_existing(db) as store:
        df = to_frame(store.rows(spec_hash))
    files = [write_table(df, "csv", out / "results.csv")]
    if (df["status"] == "ok").any():
        files += list(plot_sweep(df, out) or [])
    return files


@sweep_app.command("export")
def sweep_export(
    db: Path = typer.Option(..., "--db", help="SQLite results database"),
    fmt: str = typer.Option("csv", "--format", help="csv | parquet"),
    out: Optional[Path] = typer.Option(None, "--out", help="output file (default: DB name with the format's suffix)"),
    spec: Optional[str] = typer.Option(None, "--spec", help="only this spec (hash prefix or name)"),
) -> None:
    """Write the results as one row per point (parameters, latency, energy, breakdown, solver status)."""
    from lightcode.errors import BadInputError
    from lightcode.experiments.export import select_spec, to_frame, write_table
    from lightcode.experiments.store import open_existing

    if fmt not in ("csv", "parquet"):
        raise BadInputError(f"unknown export format {fmt!r} (csv | parquet)")
    with open_existing(db) as store:
        df = to_frame(store.rows(select_spec(store, spec)))
    path = write_table(df, fmt, out or db.with_suffix(f".{fmt}"))
    typer.echo(f"wrote {len(df)} rows to {path}")


@sweep_app.command("plot")
def sweep_plot(
    db: Path = typer.Option(..., "--db", help="SQLite results database"),
    out: Path = typer.Option(Path("sweep-figures"), "--out", help="directory for the figures"),
    spec: Optional[str] = typer.Option(None, "--spec", help="only this spec (hash prefix or name)"),
    x: str = typer.Option("length", "--x", help="x axis: length (seq_len/context), a parameter (batch, corner, …) or an override (unit.param)"),
    hue: Optional[str] = typer.Option(None, "--hue", help="colour by this parameter (default: system)"),
    fmt: str = typer.Option("png", "--format", help="png | pdf | svg"),
    dpi: Optional[int] = typer.Option(None, "--dpi", help="resolution for png, dots per inch (default 200)"),
) -> None:
    """Latency and energy against a parameter (default the length), coloured by another (default system)."""
    from lightcode.experiments.export import plot_sweep, select_spec, to_frame
    from lightcode.experiments.store import open_existing

    with open_existing(db) as store:
        df = to_frame(store.rows(select_spec(store, spec)))
    if df.empty:
        from lightcode.errors import BadInputError

        raise BadInputError(f"no results in {str(db)!r}")
    for p in plot_sweep(df, out, x=x, hue=hue, fmt=fmt, dpi=dpi):
        typer.echo(str(p))


def register(app: typer.Typer) -> None:
    app.add_typer(sweep_app, name="sweep")

    @app.command("reproduce")
    def reproduce(
        paper: str = typer.Argument(..., help="which paper: lightcode-2025"),
        out: Path = typer.Option(Path("runs/reproduce"), "--out", help="directory for figures, REPRODUCTION.md and the results database"),
        quick: bool = typer.Option(False, "--quick", help="fewer lengths and sweep values (< 2 min on 2 cores)"),
        workers: int = typer.Option(2, "--workers", "-w", help="LocalCluster worker processes; 0 = in-process"),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", help="address of a running Dask scheduler"),
        as_json: bool = typer.Option(False, "--json", help="print one JSON object (the report, database and files)"),
    ) -> None:
        """Re-run a paper's experiments and write claimed-vs-ours side by side (REPRODUCTION.md)."""
        from lightcode.core.outputs import check_out_dir
        from lightcode.errors import BadInputError
        from lightcode.experiments.reproduce import PAPERS
        from lightcode.experiments.reproduce import reproduce as run

        if paper not in PAPERS:  # before --out is made: a failed command writes nothing
            raise BadInputError(f"unknown paper {paper!r} (known: {', '.join(PAPERS)})")
        check_out_dir(out)  # before any work: an unwritable path fails fast
        path = run(paper, out, quick=quick, workers=workers, scheduler=scheduler)
        if as_json:
            import json

            files = sorted(str(p) for p in Path(out).rglob("*") if p.is_file())
            prov = json.loads((Path(out) / "reproduction.json").read_text())["provenance"]
            typer.echo(json.dumps({"paper": paper, "quick": quick, "report": str(path),
                                   "db": str(Path(out) / "reproduce.sqlite"), "files": files, **prov}))
            return
        typer.echo(f"wrote {path}")
