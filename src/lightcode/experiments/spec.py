"""Sweep specification: a YAML file → a validated `SweepSpec` → the list of `Point`s (Cartesian product).

Every point is identified by a content hash of its inputs (`Point.key`) and every spec by a hash of its
normalised content (`SweepSpec.spec_hash`); the result store is keyed by the pair, so re-running a spec
finds its finished points again, whatever their order.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from lightcode.core.inputs import read_input_file
from lightcode.core.selection import Objective
from lightcode.errors import BadInputError
from lightcode.pipeline.request import FIELDS, KEY_DEFAULTS, CompileRequest, field_default

Scalar = Union[int, float, str, bool]


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def _digest(obj: Any, n: int = 16) -> str:
    return hashlib.sha256(_canonical(obj).encode()).hexdigest()[:n]


class LengthRange(BaseModel):
    """`{start, stop, num, scale}`: `num` lengths from start to stop inclusive (log-spaced by default),
    rounded to integers, duplicates dropped — e.g. the paper's 20 log-spaced lengths 1…60000."""

    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=1)
    stop: int = Field(ge=1)
    num: int = Field(ge=1)
    scale: Literal["log", "linear"] = "log"

    @model_validator(mode="after")
    def _order(self) -> "LengthRange":
        if self.stop < self.start:
            raise ValueError(f"stop ({self.stop}) < start ({self.start})")
        return self

    def values(self) -> list[int]:
        if self.num == 1:
            return [self.start]
        out: list[int] = []
        seen: set[int] = set()
        for i in range(self.num):
            t = i / (self.num - 1)
            if self.scale == "log":
                v = math.exp(math.log(self.start) + t * (math.log(self.stop) - math.log(self.start)))
            else:
                v = self.start + t * (self.stop - self.start)
            n = int(round(v))
            if n not in seen:
                seen.add(n)
                out.append(n)
        return out


Lengths = Union[list[int], LengthRange]


def _lengths(v: Optional[Lengths]) -> list[int]:
    if v is None:
        return []
    return v.values() if isinstance(v, LengthRange) else list(v)


# A spec expands to at most this many points; a bigger product is refused before anything is expanded
# (53 M points took 8.3 GB and 300 s just to list). Split the spec, or raise it with `max_points:`.
MAX_POINTS = 100_000

# The request fields that are sweep axes: spec key (plural) -> request field. Every other request field is
# a scalar key of the spec under its own name (dtype, time_limit_s, solver, …), so a field added to
# CompileRequest is a spec key at once.
AXES: dict[str, str] = {f.metadata["axis"]: f.name for f in FIELDS if f.metadata.get("axis")}
SCALARS: tuple[str, ...] = tuple(f.name for f in FIELDS if not f.metadata.get("axis") and f.name != "overrides")
# axes the spec spells out below (with their own forms, e.g. length ranges); every other request field with an
# axis name is a generic list axis (default: the field's default alone), e.g. `precisions: [parity, native]`
BUILTIN_AXES = ("models", "phases", "seq_lens", "contexts", "batches", "systems", "corners", "objectives",
                "overrides")
EXTRA_AXES: dict[str, str] = {a: f for a, f in AXES.items() if a not in BUILTIN_AXES}


class _SpecBase(BaseModel):
    """The sweep file. Each list is one axis of the Cartesian product; unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")

    name: str = "sweep"
    models: list[str] = Field(min_length=1)
    phases: list[Literal["prefill", "decode"]] = ["prefill"]
    seq_lens: Optional[Lengths] = None  # prefill prompt lengths
    contexts: Optional[Lengths] = None  # decode KV-cache lengths (one new token per step)
    batches: list[int] = [1]
    systems: list[str] = Field(min_length=1)
    corners: list[Optional[Literal["conservative", "baseline", "aggressive"]]] = [None]  # None: the system's own
    objectives: list[str] = ["latency", "energy"]
    # Parameter overrides: `grid` is a product over each key's values ("unit.param": [v1, v2, …]), merged
    # into each entry of `overrides` (explicit override sets). Keys name a unit parameter ("unit.param") or a
    # system-level one ("system.…", hardware/overrides.py).
    overrides: list[dict[str, Scalar]] = [{}]
    grid: dict[str, list[Scalar]] = {}
    max_points: int = Field(default=MAX_POINTS, ge=1)  # the refusal limit above (not part of the identity)
    # Whole requests (experiments/generate.py): each prefill point becomes a generation of T new tokens per
    # value here, run by the `generate_point` function. Not a request field: a compile is one phase.
    new_tokens: Optional[list[int]] = None

    @field_validator("batches")
    @classmethod
    def _positive_batches(cls, v: list[int]) -> list[int]:
        if any(b < 1 for b in v):
            raise ValueError("batches must be >= 1")
        return v

    @field_validator("new_tokens")
    @classmethod
    def _positive_new_tokens(cls, v: Optional[list[int]]) -> Optional[list[int]]:
        if v is not None and (not v or any(t < 1 for t in v)):
            raise ValueError("new_tokens must be a non-empty list of integers >= 1")
        return v

    @field_validator("seq_lens", "contexts")
    @classmethod
    def _positive_lengths(cls, v: Optional[Lengths]) -> Optional[Lengths]:
        if isinstance(v, list) and any(n < 1 for n in v):
            raise ValueError("lengths must be >= 1")
        return v

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, v: list[str]) -> list[str]:
        for o in v:
            try:
                Objective.parse(o)
            except BadInputError as e:
                raise ValueError(str(e)) from None
        return v

    @model_validator(mode="after")
    def _generation_is_prefill_first(self) -> "_SpecBase":
        if self.new_tokens is not None and (self.phases != ["prefill"] or self.contexts is not None):
            raise ValueError("new_tokens: generation starts from the prompt lengths (seq_lens); use "
                             "phases: [prefill] and no contexts")
        return self

    @property
    def point_function(self) -> Optional[str]:
        """The point function this spec needs (None: the default compile point)."""
        return "lightcode.experiments.generate:generate_point" if self.new_tokens is not None else None

    @model_validator(mode="after")
    def _scalars_valid(self) -> "_SpecBase":
        try:  # the scalar keys and extra axes are request fields: the request validates them, one message each
            CompileRequest(model="spec-check", **{k: getattr(self, k) for k in SCALARS if k != "model"})
            for axis, name in EXTRA_AXES.items():
                values = getattr(self, axis)
                if not values:
                    raise BadInputError(f"{axis} must list at least one value")
                for v in values:
                    CompileRequest(model="spec-check", **{name: v})
        except BadInputError as e:
            raise ValueError(str(e)) from None
        return self

    # --- derived ---------------------------------------------------------------------------------
    @property
    def spec_hash(self) -> str:
        d = self.model_dump(mode="json", exclude={"name", "max_points"})  # cosmetic / a limit, not identity
        for k, default in {**KEY_DEFAULTS, "new_tokens": None}.items():  # added later: out at their default
            if d.get(k) == default:
                d.pop(k, None)
        for a, f in EXTRA_AXES.items():
            if f in KEY_DEFAULTS and d.get(a) == [KEY_DEFAULTS[f]]:
                d.pop(a, None)
        return _digest(d)

    def override_sets(self) -> list[dict[str, Scalar]]:
        keys = sorted(self.grid)
        combos = [dict(zip(keys, vals)) for vals in itertools.product(*(self.grid[k] for k in keys))]
        return [{**base, **combo} for base in self.overrides for combo in combos]

    def count_points(self) -> int:
        """The size of the product (before duplicates are dropped), computed without expanding it."""
        def n_lengths(v: Optional[Lengths]) -> int:
            return 0 if v is None else (v.num if isinstance(v, LengthRange) else len(v))

        per_phase = sum(n_lengths(self.seq_lens if ph == "prefill" else self.contexts) for ph in self.phases)
        n_over = len(self.overrides) * math.prod(len(v) for v in self.grid.values())
        n_extra = math.prod(len(getattr(self, a)) for a in EXTRA_AXES)
        return (len(self.models) * len(self.batches) * per_phase * len(self.systems) * len(self.corners)
                * n_over * len(self.objectives) * n_extra * len(self.new_tokens or [None]))

    def points(self) -> list["Point"]:
        """The Cartesian product, ordered so that points sharing a capture (model, phase, batch, length)
        are adjacent: a worker that just captured a graph is likely to reuse it."""
        n = self.count_points()
        if n > self.max_points:
            raise BadInputError(f"sweep spec expands to {n:,} points, above the limit of {self.max_points:,}; "
                                f"split it or set max_points: {n} in the spec")
        scalars = {k: getattr(self, k) for k in SCALARS if k != "model"}
        out: list[Point] = []
        for model, phase, batch in itertools.product(self.models, self.phases, self.batches):
            lengths = _lengths(self.seq_lens) if phase == "prefill" else _lengths(self.contexts)
            for n in lengths:
                seq_len, context = (n, None) if phase == "prefill" else (1, n)
                extra_names = list(EXTRA_AXES.values())
                for system, corner, ov, objective, *extra in itertools.product(
                    self.systems, self.corners, self.override_sets(), self.objectives,
                    *(getattr(self, a) for a in EXTRA_AXES)
                ):
                    out.append(Point(model=model, phase=phase, seq_len=seq_len, context=context, batch=batch,
                                     system=system, corner=corner, objective=objective, overrides=ov,
                                     **scalars, **dict(zip(extra_names, extra))))
        if self.new_tokens is not None:
            out = [GeneratePoint(p, t) for p in out for t in self.new_tokens]
        return list({p.key: p for p in out}.values())  # a value listed twice runs once (first position)


def _scalar_field(name: str) -> tuple[Any, Any]:
    """(type, default) of a scalar spec key: the request field's default and its type (checked again by
    CompileRequest, which owns the rules)."""
    default = field_default(name)
    return (Optional[Any] if default is None else type(default)), default


SweepSpec = create_model("SweepSpec", __base__=_SpecBase, __doc__=_SpecBase.__doc__,
                         **{k: _scalar_field(k) for k in SCALARS if k != "model"},
                         **{a: (list[Any], [field_default(f)]) for a, f in EXTRA_AXES.items()})

# A sweep point is one compile request: its key is the request's key, its dict the request's fields.
Point = CompileRequest


@dataclass(frozen=True)
class GeneratePoint:
    """A point of a spec with `new_tokens`: the prefill request plus T (its dict adds `new_tokens`)."""

    request: CompileRequest
    new_tokens: int

    @property
    def key(self) -> str:
        return _digest({**self.request.key_dict(), "new_tokens": self.new_tokens})

    def to_dict(self) -> dict[str, Any]:
        return {**self.request.to_dict(), "new_tokens": self.new_tokens}


# --- loading and checking ------------------------------------------------------------------------
def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "spec"
    if err["type"] == "extra_forbidden":
        return f"unknown key {where!r} in sweep spec (allowed: {', '.join(SweepSpec.model_fields)})"
    return f"sweep spec: {where}: {err['msg']}"


def parse_spec(data: Any, *, check_names: bool = True, known_models: Optional[Iterable[str]] = None,
               known_systems: Optional[Iterable[str]] = None) -> SweepSpec:
    """Validate a spec dict. Raises BadInputError with a one-line message on any problem."""
    if not isinstance(data, dict):
        raise BadInputError("sweep spec must be a YAML mapping (models:, systems:, seq_lens:, …)")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as e:
        raise BadInputError(_first_error(e)) from None
    if "prefill" in spec.phases and not _lengths(spec.seq_lens):
        raise BadInputError("sweep spec: phase 'prefill' needs seq_lens (a list or {start, stop, num})")
    if "decode" in spec.phases and not _lengths(spec.contexts):
        raise BadInputError("sweep spec: phase 'decode' needs contexts (a list or {start, stop, num})")
    if any(len(v) == 0 for v in spec.grid.values()) or spec.count_points() == 0 or not spec.points():
        raise BadInputError("sweep spec: the Cartesian product is empty (an axis has no values)")
    if check_names:
        check_names_known(spec, known_models=known_models, known_systems=known_systems)
    return spec


def load_spec(path: str | Path, **kw: Any) -> SweepSpec:
    return parse_spec(read_input_file(path, "sweep spec", fmt="yaml"), **kw)


def _library_models() -> Optional[set[str]]:
    try:
        from lightcode.frontend.presets import PRESETS
    except ImportError:  # capture not installed yet: names are checked when the point runs
        return None
    return set(PRESETS)


def _library_systems() -> Optional[set[str]]:
    try:
        from lightcode.hardware.load import list_systems
    except ImportError:
        return None
    return {s if isinstance(s, str) else getattr(s, "name", str(s)) for s in list_systems()}


def check_names_known(spec: SweepSpec, *, known_models: Optional[Iterable[str]] = None,
                      known_systems: Optional[Iterable[str]] = None) -> None:
    """Unknown model or system → BadInputError before any work starts. A model may also be a path to a
    Hugging Face config.json (or a directory holding one)."""
    models = set(known_models) if known_models is not None else _library_models()
    if models is not None:
        for m in spec.models:
            if m not in models and not Path(m).exists():
                raise BadInputError(
                    f"unknown model {m!r} in sweep spec (presets: {', '.join(sorted(models))}; or a config.json path)"
                )
    systems = set(known_systems) if known_systems is not None else _library_systems()
    if systems is not None:
        for s in spec.systems:
            if s not in systems and not Path(s).exists():
                raise BadInputError(f"unknown system {s!r} in sweep spec (known: {', '.join(sorted(systems))})")
        # Overrides are checked against the real library only (injected name sets carry no parameters).
        if known_systems is None and (spec.overrides != [{}] or spec.grid):
            from lightcode.hardware.overrides import check_overrides

            for s, c, ov in itertools.product(spec.systems, spec.corners, spec.override_sets()):
                check_overrides(s, ov, c)
