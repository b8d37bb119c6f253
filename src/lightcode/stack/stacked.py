"""StackedGraph: an OpGraph plus, per op, every realization the system offers and, per edge and pair of
realizations, the transfer cost (DESIGN §2; the authors' "Stacked Graph", lightcode.md §1.2).

Besides the graph's own edges the stacked graph holds *host I/O edges*: activations that enter the graph
(token ids, masks) come from the host unit's memory, and graph outputs return to it. They are edges with
`src is None` (from host) or `dst is None` (to host), so an op placed off the host pays for them.

Building is cheap on purpose: every distinct (op shape signature, unit) pair is costed once (the 32
identical layers of a 7B model share their signatures), and every (src unit, dst unit, bytes) transfer once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from lightcode.core.cost import ZERO, CostBreakdown
from lightcode.core.devices import SystemModel, unit_variants
from lightcode.core.formats import Formats
from lightcode.core.opgraph import Op, OpGraph
from lightcode.cost.split import SPLIT_FRACTIONS, Part, split_options, splittable
from lightcode.errors import BadInputError
from lightcode.stack.precision import DEFAULT_POLICY, apply_policy


@dataclass(frozen=True)
class Realization:
    unit: str
    cost: CostBreakdown
    variant: str = ""  # the unit's name for this way of running the op ("fp16", "w4a16", ...)
    formats: Formats | None = None
    link_demand: Mapping[str, float] = field(default_factory=dict)
    # a split realization (cost/split.py): each unit's part, host first; `unit` is the host, where the output
    # is assembled (what edges read); empty for a whole op
    parts: tuple[Part, ...] = ()

    @property
    def holds(self) -> tuple[tuple[str, float, Mapping[str, float]], ...]:
        """(unit, seconds held from the op's start, link shares over that time) per unit the op occupies."""
        if not self.parts:
            return ((self.unit, self.cost.latency_s, self.link_demand),)
        return tuple((p.unit, p.busy_s, p.link_demand) for p in self.parts)

    @property
    def units_used(self) -> tuple[str, ...]:
        return (self.unit,) if not self.parts else tuple(p.unit for p in self.parts)

    @property
    def fractions(self) -> dict[str, float]:
        """Share of the op's output per unit (1.0 for a whole op)."""
        return {self.unit: 1.0} if not self.parts else {p.unit: float(p.fraction) for p in self.parts}


@dataclass(frozen=True)
class StackedEdge:
    src: int | None  # op index; None = the host's memory (a graph input)
    dst: int | None  # op index; None = the host's memory (a graph output)
    nbytes: int


def op_signature(op: Op) -> tuple:
    """Everything a cost model may read from an op, without its name, module path or layer index."""
    return (op.kind, op.target, op.inputs, op.outputs, op.flops, op.bytes_read, op.bytes_written,
            op.weight_bytes, op.gemms, op.kv_cache_bytes_read, op.n_fused)


class StackedGraph:
    """Per-op realizations and per-edge transfer costs of `graph` on `system`. Immutable after build."""

    def __init__(self, graph: OpGraph, system: SystemModel, *, dtype: str | None = None,
                 precision: str = DEFAULT_POLICY, split: bool = False, split_fractions=SPLIT_FRACTIONS):
        self.graph = graph
        self.split = split
        self.system = system
        self.dtype = dtype or graph.dtype
        self.units: tuple[str, ...] = tuple(system.units)
        if not self.units:
            raise BadInputError(f"system {system.name!r} has no compute units")
        self.host: str = self.units[0]
        n = len(graph.ops)

        # --- realizations, memoised on the op's shape signature ----------------------------------------
        sig_ids: dict[tuple, int] = {}
        self.op_sig: list[int] = []  # per op: id of its signature (equal ids ⇒ equal realizations)
        self.sig_realizations: list[tuple[Realization, ...]] = []
        for op in graph.ops:
            key = op_signature(op)
            sid = sig_ids.get(key)
            if sid is None:
                sid = len(self.sig_realizations)
                sig_ids[key] = sid
                reals = []
                for uname, unit in system.units.items():
                    for v in unit_variants(unit, op, self.dtype):
                        for link, share in v.link_demand.items():
                            if not 0.0 < share <= 1.0:
                                raise BadInputError(f"unit {uname!r} variant {v.name!r} of op {op.name!r} demands "
                                                    f"{share!r} of link {link!r}; a link share must be in (0, 1]")
                        reals.append(Realization(uname, v.cost, v.name, v.formats, dict(v.link_demand)))
                self.sig_realizations.append(tuple(reals))
            self.op_sig.append(sid)
        # precision policy (stack/precision.py): parity by default, the same weight/activation floor for every unit
        # index per op (several variants per unit), then the request's default, "parity"
        self.precision, self.precision_floor, self.sig_realizations = apply_policy(self, precision)
        if split:  # split realizations from the variants the policy admits (cost/split.py)
            first = {sid: i for i, sid in reversed(list(enumerate(self.op_sig)))}
            self.sig_realizations = [reals + _splits(system, self.units[0], graph.ops[first[sid]], self.dtype, reals,
                                                     split_fractions)
                                     for sid, reals in enumerate(self.sig_realizations)]
        self.realizations: tuple[tuple[Realization, ...], ...] = tuple(self.sig_realizations[s] for s in self.op_sig)
        # per op: the index in the parent's realizations of each of ours (None: identity; a view made by
        # `restricted` keeps fewer and maps its choices back with `to_base`)
        self.base_index: tuple[tuple[int, ...], ...] | None = None
        for i, reals in enumerate(self.realizations):
            if not reals:
                op = graph.ops[i]
                raise BadInputError(f"op {op.name!r} ({op.kind}) has no realization on any unit of "
                                    f"system {system.name!r}; add a unit that can run it")

        # --- edges: graph edges first (same indices as graph.edges), then host I/O edges --------------
        edges = [StackedEdge(e.src, e.dst, e.nbytes) for e in graph.edges]
        has_pred = [False] * n
        has_succ = [False] * n
        for e in graph.edges:
            has_pred[e.dst] = True
            has_succ[e.src] = True
        for i, op in enumerate(graph.ops):
            if not has_pred[i]:  # a source reads graph inputs (not weights, not cached K/V) from the host
                external = op.bytes_read - op.weight_bytes - op.kv_cache_bytes_read
                edges.append(StackedEdge(None, i, max(0, external)))
        for i, op in enumerate(graph.ops):
            if not has_succ[i]:
                edges.append(StackedEdge(i, None, op.bytes_written))
        self.edges: tuple[StackedEdge, ...] = tuple(edges)
        self.in_edges: list[list[int]] = [[] for _ in range(n)]
        self.out_edges: list[list[int]] = [[] for _ in range(n)]
        for k, e in enumerate(self.edges):
            if e.dst is not None:
                self.in_edges[e.dst].append(k)
            if e.src is not None:
                self.out_edges[e.src].append(k)
        self._transfer_memo: dict[tuple[str, str, int], CostBreakdown] = {}

    # --- queries -------------------------------------------------------------------------------------
    @property
    def n_ops(self) -> int:
        return len(self.graph.ops)

    def unit(self, name: str):
        return self.system.units[name]

    def edge_unit(self, e: StackedEdge, assignment: Mapping[int, str] | list[str], end: str) -> str:
        """The unit at one end ("src" | "dst") of an edge under an assignment (host for I/O edges)."""
        i = e.src if end == "src" else e.dst
        return self.host if i is None else assignment[i]

    def transfer_cost(self, src_unit: str, dst_unit: str, nbytes: int) -> CostBreakdown:
        if src_unit == dst_unit:
            return ZERO
        key = (src_unit, dst_unit, nbytes)
        c = self._transfer_memo.get(key)
        if c is None:
            c = self.system.transfer_cost(src_unit, dst_unit, nbytes)
            self._transfer_memo[key] = c
        return c

    def edge_cost(self, k: int, src_unit: str, dst_unit: str) -> CostBreakdown:
        return self.transfer_cost(src_unit, dst_unit, self.edges[k].nbytes)

    def realization(self, i: int, unit: str) -> Realization | None:
        """The single realization of op i on `unit` (None if none). A unit may offer several variants of an
        op: then the unit does not say which ran, and this raises; use an Assignment's `choice` instead."""
        j = self.unique_index(i, unit)
        return None if j is None else self.realizations[i][j]

    def unique_index(self, i: int, unit: str) -> int | None:
        found = [j for j, r in enumerate(self.realizations[i]) if r.unit == unit]
        if len(found) > 1:
            raise ValueError(f"op {self.graph.ops[i].name!r} has {len(found)} variants on unit {unit!r}; "
                             f"a unit name does not identify the realization (use the choice index)")
        return found[0] if found else None

    def chosen(self, choice) -> tuple[Realization, ...]:
        """The realization per op of a choice (an index into `realizations[i]` per op)."""
        if len(choice) != self.n_ops:
            raise ValueError(f"a choice has {len(choice)} entries for {self.n_ops} ops")
        return tuple(reals[j] for reals, j in zip(self.realizations, choice))

    def units_of(self, choice) -> tuple[str, ...]:
        return tuple(r.unit for r in self.chosen(choice))

    def restricted(self, keep) -> "StackedGraph":
        """A view keeping, per op i, the realizations r with keep(i, r) (empty ones are left for the caller to
        refuse); its choices index its own lists and `to_base` maps them back to this graph's."""
        import copy

        view = copy.copy(self)
        reals, base = [], []
        sig_ids: dict[tuple, int] = {}  # equal ids must still mean equal realizations (blocks share solves)
        view.op_sig, view.sig_realizations = [], []
        for i, rs in enumerate(self.realizations):
            js = tuple(j for j, r in enumerate(rs) if keep(i, r))
            reals.append(tuple(rs[j] for j in js))
            base.append(js)
            sid = sig_ids.setdefault((self.op_sig[i], js), len(sig_ids))
            if sid == len(view.sig_realizations):
                view.sig_realizations.append(reals[-1])
            view.op_sig.append(sid)
        view.realizations = tuple(reals)
        view.base_index = tuple(base)
        return view

    def to_base(self, choice) -> tuple[int, ...]:
        """A choice on this view as indices into the realizations of the graph it was restricted from."""
        return tuple(choice) if self.base_index is None else tuple(self.base_index[i][j] for i, j in enumerate(choice))

    def n_distinct_signatures(self) -> int:
        return len(self.sig_realizations)


def _splits(system: SystemModel, host: str, op: Op, dtype: str, reals: tuple[Realization, ...],
            fractions=SPLIT_FRACTIONS) -> tuple:
    """Split realizations of `op` between the host and each accelerator that runs it whole."""
    if not splittable(op):
        return ()
    admitted: dict[str, set[str]] = {}
    for r in reals:
        admitted.setdefault(r.unit, set()).add(r.variant)
    if host not in admitted:
        return ()
    out = []
    for acc, names in admitted.items():
        if acc == host:
            continue
        for sp in split_options(system, host, acc, op, dtype, admitted[host], names, fractions):
            out.append(Realization(host, sp.cost, sp.name, sp.formats, {}, sp.parts))
    return tuple(out)


def build_stacked(graph: OpGraph, system: SystemModel, *, dtype: str | None = None,
                  precision: str = DEFAULT_POLICY, split: bool = False) -> StackedGraph:
    return StackedGraph(graph, system, dtype=dtype, precision=precision, split=split)
