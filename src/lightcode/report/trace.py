"""Chrome trace-event JSON (JSON Object Format; opens in ui.perfetto.dev and chrome://tracing).

One process per resource (each unit, then each directed link), one thread per core; every op or transfer
is a complete event ("ph": "X") with `ts`/`dur` in microseconds, named by metadata events ("ph": "M",
process_name / thread_name / process_sort_index).
"""

from __future__ import annotations

import json
from pathlib import Path

from lightcode.sim.simulate import SimResult
from lightcode.stack.stacked import StackedGraph

_US = 1e6  # seconds -> microseconds, the format's time unit


def trace_events(stacked: StackedGraph, sim: SimResult) -> dict:
    resources: list[str] = list(stacked.units)
    for ev in sim.schedule.events:
        if ev.resource not in resources:
            resources.append(ev.resource)
    links = sorted(r for r in resources if r not in stacked.units)
    resources = list(stacked.units) + links
    pid = {r: k + 1 for k, r in enumerate(resources)}
    events: list[dict] = []
    for r in resources:
        events.append({"ph": "M", "name": "process_name", "pid": pid[r], "tid": 0,
                       "args": {"name": r if r in stacked.units else f"link {r}"}})
        events.append({"ph": "M", "name": "process_sort_index", "pid": pid[r], "tid": 0,
                       "args": {"sort_index": pid[r]}})
        cores = stacked.unit(r).slots if r in stacked.units else 1
        for c in range(max(1, int(cores))):
            events.append({"ph": "M", "name": "thread_name", "pid": pid[r], "tid": c,
                           "args": {"name": f"core {c}" if r in stacked.units else "transfers"}})
    ops = stacked.graph.ops
    for ev in sim.schedule.events:
        if ev.kind == "op":
            op = ops[ev.index]
            r = stacked.realizations[ev.index][sim.choice[ev.index]]
            name, cat = op.name, op.kind
            args = {"module": op.module, "layer": op.layer, "flops": op.flops, "energy_j": r.cost.total_energy_j,
                    "variant": r.variant}
        else:
            e = stacked.edges[ev.index]
            src = "host" if e.src is None else ops[e.src].name
            dst = "host" if e.dst is None else ops[e.dst].name
            name, cat = f"{src} → {dst}", "transfer"
            args = {"bytes": e.nbytes}
        events.append({"ph": "X", "name": name, "cat": cat, "pid": pid[ev.resource], "tid": ev.core,
                       "ts": ev.start_s * _US, "dur": (ev.end_s - ev.start_s) * _US, "args": args})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"makespan_s": sim.latency_s, "energy_j": sim.energy_j}}


def validate_trace(obj: dict) -> None:
    """Check what the trace-event format (JSON Object Format) requires and Perfetto's importer relies on:
    a `traceEvents` list; every event has `ph`, `name` and integer `pid`/`tid`; complete events ("X") have
    numeric `ts`/`dur` in µs, both ≥ 0; metadata events ("M") are known names with `args`; every complete
    event lies on a process and thread that metadata names. Raises ValueError."""
    if not isinstance(obj, dict) or not isinstance(obj.get("traceEvents"), list):
        raise ValueError("a trace is an object with a 'traceEvents' list")
    if obj.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        raise ValueError("displayTimeUnit must be 'ms' or 'ns'")
    procs, threads, used = set(), set(), set()
    for k, ev in enumerate(obj["traceEvents"]):
        for f in ("ph", "name", "pid", "tid"):
            if f not in ev:
                raise ValueError(f"event {k} lacks {f!r}")
        if not all(isinstance(ev[f], int) and not isinstance(ev[f], bool) for f in ("pid", "tid")):
            raise ValueError(f"event {k}: 'pid' and 'tid' must be integers")
        if ev["ph"] == "X":
            if not all(isinstance(ev.get(f), (int, float)) and not isinstance(ev.get(f), bool) for f in ("ts", "dur")):
                raise ValueError(f"complete event {k} needs numeric 'ts' and 'dur' (µs)")
            if ev["dur"] < 0 or ev["ts"] < 0:
                raise ValueError(f"complete event {k} has a negative time")
            used.add((ev["pid"], ev["tid"]))
        elif ev["ph"] == "M":
            if ev["name"] not in ("process_name", "thread_name", "process_sort_index", "thread_sort_index",
                                  "process_labels"):
                raise ValueError(f"metadata event {k} has unknown name {ev['name']!r}")
            if not isinstance(ev.get("args"), dict):
                raise ValueError(f"metadata event {k} needs 'args'")
            if ev["name"] in ("process_name", "thread_name") and not isinstance(ev["args"].get("name"), str):
                raise ValueError(f"metadata event {k} needs args.name (a string)")
            if ev["name"] == "process_name":
                procs.add(ev["pid"])
            elif ev["name"] == "thread_name":
                threads.add((ev["pid"], ev["tid"]))
        else:
            raise ValueError(f"event {k}: unexpected phase {ev['ph']!r}")
    for pid, tid in sorted(used):
        if pid not in procs or (pid, tid) not in threads:
            raise ValueError(f"complete events on pid {pid} tid {tid}, which no process/thread_name names")


def write_trace(stacked: StackedGraph, sim: SimResult, path: str | Path) -> Path:
    obj = trace_events(stacked, sim)
    validate_trace(obj)
    path = Path(path)
    path.write_text(json.dumps(obj))
    return path
