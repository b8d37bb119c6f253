"""Run a sweep: the points of a spec that the store does not already hold, as Dask tasks, each result
committed to SQLite by the client the moment it arrives.

Executors: `distributed.LocalCluster` (processes, `workers` of them, one thread each) by default, an
existing cluster when `scheduler` is an address, or `workers=0` for a synchronous in-process loop
(debugging, tests). Failure policy:
- a point that raises a LightcodeError (infeasible, bad input) → an error row, skipped on re-run;
- any other exception → retried (`retries` times), then an error row, skipped on re-run;
- a point lost with its worker → Dask reschedules it (scheduler `allowed-failures`); when it keeps killing
  workers the row is a *retryable* error that the next run computes again.

Points that differ only in their objective run as one Dask task, one after the other: they share the
worker's caches (StackedGraph, heuristics, proven block solves), which spreading them over workers would
defeat (Llama-2-7B benchmark, 2 workers: 178 → ~140 ms of CPU per point). A worker lost mid-task costs
that group's points, rescheduled as above.

Each point is stored with its model fingerprint (fingerprint.py: the code and the hardware files of its
system); a stored point of another fingerprint is stale and computed again, said in one warning line.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, NamedTuple, Optional

from lightcode.experiments import fingerprint
from lightcode.experiments.point import PointFn, execute, resolve
from lightcode.experiments.spec import Point, SweepSpec
from lightcode.experiments.store import Store


@dataclass
class SweepSummary:
    spec_hash: str
    total: int  # points in the spec
    skipped: int  # already finished in the store
    ran: int
    ok: int
    errors: int
    wall_s: float
    recomputed: int = 0  # of `ran`: stale points, stored under another model fingerprint
    model_fingerprint: str = ""  # fingerprint.combined over the spec's systems (provenance)
    model_fingerprints: dict[str, str] = field(default_factory=dict)  # system -> its points' fingerprint

    @property
    def points_per_s(self) -> float:
        return self.ran / self.wall_s if self.wall_s > 0 else float("nan")


CONNECT_TIMEOUT_S = 10  # an unreachable --scheduler fails after this long, with one line

# Exceptions that mean "the infrastructure lost this point", not "this point fails".
_LOST = ("KilledWorker", "CancelledError", "CommClosedError", "FutureCancelledError", "TimeoutError")


def run_sweep(spec: SweepSpec, db: str | Path, *, point_fn: PointFn | str | None = None,
              scheduler: Optional[str] = None, workers: Optional[int] = None, retries: int = 1,
              retry_errors: bool = False, retry_feasible: bool = False, progress: bool = True,
              client: Any = None, say_stale: bool = True) -> SweepSummary:
    """`client`: an open distributed.Client to reuse (several sweeps on one cluster); else one is made.
    `retry_feasible`: recompute points whose solver stopped at its time limit (FEASIBLE, not OPTIMAL).
    Points another live sweep on the same database is computing are left to it (counted as skipped).
    `say_stale`: warn when stored points of another model are computed again (off: the caller says it once
    for several sweeps)."""
    fn = resolve(point_fn if point_fn is not None else spec.point_function)
    t0 = time.perf_counter()
    with Store(db) as store:
        h = spec.spec_hash
        store.register_spec(h, spec.name, json.dumps(spec.model_dump(mode="json"), sort_keys=True))
        if retry_errors:
            store.forget_errors(h)
        if retry_feasible:
            store.forget_non_optimal(h)
        points = spec.points()
        fps, fp_of = point_fingerprints(points)
        current, stale, unknown = stored_state(store, h, fp_of)
        mine = store.claim(h, [p.key for p in points if p.key not in current])
        todo = [p for p in points if p.key in mine]
        if say_stale:
            warn_stale(spec.name, len(stale & mine), len(unknown & mine), fingerprint.combined(fps))
        counts = {"ok": 0, "error": 0}

        def commit(p: Point, out: dict[str, Any], retryable: bool = False) -> None:
            store.record(h, p.key, p.to_dict(), status=out["status"], result=out.get("result"),
                         error_type=out.get("error_type"), error=out.get("error"), retryable=retryable,
                         started_at=out.get("started_at"), duration_s=out.get("duration_s"),
                         worker=out.get("worker"), model_fp=fp_of[p.key])
            counts[out["status"]] += 1

        with _progress(progress, len(todo), spec.name, len(points) - len(todo)) as advance:
            if client is not None and todo:
                _run_dask(client, fn, todo, h, retries, commit, lambda: advance(counts))
            elif workers == 0 and scheduler is None:
                for p in todo:
                    commit(p, _execute_local(fn, p.to_dict()))
                    advance(counts)
            elif todo:
                with open_client(scheduler, workers) as client:
                    _run_dask(client, fn, todo, h, retries, commit, lambda: advance(counts))
        store.release_claims()
    return SweepSummary(h, len(points), len(points) - len(todo), len(todo), counts["ok"], counts["error"],
                        time.perf_counter() - t0, len(stale & mine), fingerprint.combined(fps), fps)


def point_fingerprints(points: list[Point]) -> tuple[dict[str, str], dict[str, str]]:
    """(system -> the model fingerprint of its points, point key -> its fingerprint); one per system."""
    systems = {p.key: p.to_dict()["system"] for p in points}
    fps = {s: fingerprint.model_fingerprint(s) for s in dict.fromkeys(systems.values())}
    return fps, {k: fps[s] for k, s in systems.items()}


class Pending(NamedTuple):
    points: int  # of the spec's, those a run would compute (not finished under the current model)
    stale: int  # of those, finished under another model
    unknown: int  # of the stale, stored before fingerprints
    fingerprints: dict[str, str]  # system -> the current model fingerprint


def pending_points(store: Store, spec: SweepSpec) -> Pending:
    """What a run of `spec` on `store` would compute, without computing it."""
    points = spec.points()
    fps, fp_of = point_fingerprints(points)
    current, stale, unknown = stored_state(store, spec.spec_hash, fp_of)
    return Pending(len(points) - len(current), len(stale), len(unknown), fps)


def stored_state(store: Store, spec_hash: str, fp_of: dict[str, str]) -> tuple[set[str], set[str], set[str]]:
    """(current, stale, unknown) among the points `fp_of` (key -> the fingerprint it would be computed under
    now): those finished in the store under that fingerprint (a re-run skips them), those finished under
    another or none (a re-run computes them again), and of those the ones with none (stored before
    fingerprints)."""
    finished = store.finished(spec_hash)
    current = {k for k, f in fp_of.items() if k in finished and finished[k] == f}
    stale = {k for k in fp_of if k in finished and k not in current}
    return current, stale, {k for k in stale if finished[k] is None}


def warn_stale(name: str, stale: int, unknown: int, model: str) -> None:
    """One warning line: `stale` stored points (`unknown` of them without a fingerprint) are computed again."""
    if not stale:
        return
    from lightcode.core.warn import warn_once

    why = "code or hardware files changed" + (f"; {unknown} stored before fingerprints" if unknown else "")
    warn_once(f"{name}: {stale} stored points were computed under another model ({why}): computing them "
              f"again under model {model}")  # the model named: said again at each change


def _execute_local(fn: PointFn, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return execute(fn, params)
    except Exception as e:  # a bug in one point must not end the sweep
        return _error_outcome(e)


def _error_outcome(e: BaseException) -> dict[str, Any]:
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return {"status": "error", "result": None, "error_type": type(e).__name__, "error": msg}


def _execute_group(fn: PointFn, group: list[dict[str, Any]], retries: int) -> list[dict[str, Any]]:
    """The points of one group, in order, each retried on a non-Lightcode exception (see the module doc)."""
    outs = []
    for params in group:
        for attempt in range(retries + 1):
            try:
                outs.append(execute(fn, params))
                break
            except Exception as e:  # noqa: BLE001 — one point's bug must not cost its group
                if attempt == retries:
                    outs.append(_error_outcome(e))
    return outs


def _groups(todo: list[Point]) -> list[list[Point]]:
    groups: dict[str, list[Point]] = {}
    for p in todo:
        d = p.to_dict()
        d.pop("objective")
        groups.setdefault(json.dumps(d, sort_keys=True, default=str), []).append(p)
    return list(groups.values())


def _run_dask(client: Any, fn: PointFn, todo: list[Point], spec_hash: str, retries: int, commit: Any,
              tick: Any) -> None:
    from distributed import as_completed

    by_key: dict[str, list[Point]] = {}
    futures = []
    for group in _groups(todo):
        # Deterministic task keys: a re-submitted group on a shared scheduler is recognised, not recomputed.
        key = f"lightcode-points-{spec_hash}-{'-'.join(p.key for p in group)}"
        by_key[key] = group
        futures.append(client.submit(_execute_group, fn, [p.to_dict() for p in group], retries, key=key,
                                     pure=False))
    for fut in as_completed(futures):
        group = by_key[fut.key]
        try:
            outs, lost = fut.result(), False
        except Exception as e:  # noqa: BLE001 — recorded, never raised: one group must not end the sweep
            outs, lost = [_error_outcome(e)] * len(group), type(e).__name__ in _LOST
        for p, out in zip(group, outs):
            commit(p, out, retryable=lost)
            tick()
        fut.release()  # results live in SQLite now; free worker memory


@contextmanager
def open_client(scheduler: Optional[str], workers: Optional[int]) -> Iterator[Any]:
    """A Client on `scheduler`, or on a fresh LocalCluster; None (in-process) for workers=0."""
    if workers == 0 and scheduler is None:
        yield None
        return
    from distributed import Client

    with ExitStack() as stack:
        stack.callback(_quiet_distributed())  # shut-down (also after Ctrl-C) without worker tracebacks
        if scheduler:
            client = stack.enter_context(_connect(Client, scheduler))
        else:
            client = stack.enter_context(Client(stack.enter_context(_local_cluster(workers or 1))))
        yield client


def _quiet_distributed():
    """Silence distributed's loggers for the rest of the sweep; returns the undo."""
    loggers = [logging.getLogger(n) for n in ("distributed", "tornado", "asyncio")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    return lambda: [lg.setLevel(lv) for lg, lv in zip(loggers, levels)]


def check_scheduler(scheduler: str) -> None:
    """A scheduler address names a protocol or a port (tcp://host:8786, host:8786)."""
    from lightcode.errors import BadInputError

    if "://" not in scheduler and ":" not in scheduler:
        raise BadInputError(f"--scheduler {scheduler!r} is not an address; give e.g. tcp://host:8786")


def _connect(Client: Any, scheduler: str) -> Any:
    from lightcode.errors import BadInputError

    check_scheduler(scheduler)
    try:
        return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError) as e:
        raise BadInputError(f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
                            f"({type(e).__name__}); is it running? (or drop --scheduler for a local cluster)") from None


@contextmanager
def _local_cluster(n: int) -> Iterator[Any]:
    """A LocalCluster whose started workers ignore Ctrl-C (worker_init.py: the client shuts them down),
    started again once when a worker dies during start-up ("Nanny failed to start")."""
    from distributed import LocalCluster

    from lightcode.errors import BadInputError

    last: Exception | None = None
    for _attempt in range(2):
        try:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                   silence_logs=logging.CRITICAL, preload=["lightcode.experiments.worker_init"])
        except Exception as e:  # noqa: BLE001 — "Nanny failed to start" and friends: try once more
            last = e
            continue
        with cluster:
            yield cluster
        return
    raise BadInputError(f"could not start a local Dask cluster of {n} workers ({type(last).__name__}: "
                        f"{str(last).splitlines()[0] if str(last) else ''}); retry, or run with --workers 0")


@contextmanager
def _progress(enabled: bool, total: int, name: str, skipped: int) -> Iterator[Any]:
    if not enabled:
        yield lambda counts: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn())
    from rich.console import Console

    with Progress(*cols, console=Console(stderr=True), transient=False) as bar:  # stdout is for results (--json)
        task = bar.add_task(name, total=total, status=f"skipped {skipped}" if skipped else "")

        def advance(counts: dict[str, int]) -> None:
            bar.update(task, advance=1, status=f"ok {counts['ok']}  err {counts['error']}")

        yield advance
