"""Shared plumbing for photonic unit families: parameter access, GEMM orientation, ceil arithmetic.

No device numbers here: everything comes from the unit's YAML through `params` (SI floats).
"""

from __future__ import annotations

import copy
from typing import Mapping

from lightcode.core.formats import Formats, NumberFormat, dtype_formats
from lightcode.core.opgraph import DTYPE_BYTES, Gemm, Op
from lightcode.cost.families import ParamSpec
from lightcode.cost.operands import Access, Placement, activation_tensors
from lightcode.photonics import converters

GEMM_KINDS = ("matmul", "attention")


def ceil_div(a: int, b: int) -> int:
    return -(-int(a) // int(b))


class PhotonicUnit:
    """Common attributes of the `UnitModel` protocol for photonic families."""

    kind = "photonic"

    def __init__(self, name: str, params: Mapping[str, float]):
        self.name = name
        self.p = dict(params)
        self.precision_bits = int(round(self.p["bits"]))

    # the system's placement of this unit's operands (cost/operands.py); None: the unit costed on its own,
    # reading from the reference memory its family's paper assumes (e.g. LT's private DRAM)
    placement: Placement | None = None

    def placed(self, placement: Placement) -> "PhotonicUnit":
        """A copy of this unit that reads its operands where `placement` says (units are shared, cached)."""
        u = copy.copy(self)
        u.placement = placement
        return u

    @property
    def buffer_capacity_bytes(self) -> float | None:
        """On-chip activation buffer capacity under the SRAM rule (None: no rule applies)."""
        return None if self.placement is None else self.placement.buffer_bytes

    def formats(self, dtype: str, out_bits: int | None = None) -> Formats:
        """What the unit computes in: weights and activations set by DACs of `bits`, outputs read by an ADC
        of `out_bits` (a float unit's format when the family models no precision)."""
        b = self.precision_bits
        if b >= 16:  # a family that models no precision (LightCode's 32-bit BITS_PER_NUM): the graph's dtype
            return dtype_formats(dtype)
        a = NumberFormat(f"analog-{b}b", "analog", b)
        ob = out_bits if out_bits is not None else b
        return Formats(a, a, NumberFormat(f"adc-{ob}b", "int", ob), "per-tensor")

    def spill_access(self, op: Op) -> tuple[Access, Access]:
        """(reads, writes) of activation tensors too large for the buffer (SRAM rule, cost/operands.py)."""
        pl = self.placement
        reads, writes = Access(), Access()
        if pl is None or pl.buffer_bytes is None:
            return reads, writes
        ins, outs = activation_tensors(op)
        for nb in ins:
            if pl.spills(nb):
                reads = reads + pl.activations.access(nb)
        for nb in outs:
            if pl.spills(nb):
                writes = writes + pl.activations.access(nb, write=True)
        return reads, writes

    def _int(self, key: str) -> int:
        return int(round(self.p[key]))

    def _flag(self, key: str) -> bool:
        return bool(round(self.p.get(key, 0.0)))


# The converter laws' parameters (photonics/converters.py), shared by the families that scale DACs/ADCs from a
# reference design.
CONVERTER_PARAMS = (
    ParamSpec("adc_bits_per_doubling", "1", "ADC bits added per doubling of analog accumulation", positive=False),
    ParamSpec("dac_ref_power", "W", "DAC reference design power"),
    ParamSpec("dac_ref_rate", "Hz", "DAC reference sample rate"),
    ParamSpec("dac_ref_bits", "1", "DAC reference resolution"),
    ParamSpec("adc_ref_power", "W", "SAR ADC reference design power"),
    ParamSpec("adc_ref_rate", "Hz", "SAR ADC reference sample rate"),
    ParamSpec("adc_ref_bits", "1", "SAR ADC reference resolution"),
)


class ConvertingUnit(PhotonicUnit):
    """A photonic unit whose DAC/ADC energies follow the converter laws from CONVERTER_PARAMS."""

    def dac_energy(self, bits: float) -> float:
        p = self.p
        return converters.dac_energy_j(bits, p["dac_ref_power"], p["dac_ref_rate"], p["dac_ref_bits"])

    def adc_energy(self, bits: float) -> float:
        p = self.p
        return converters.adc_energy_j(bits, p["adc_ref_power"], p["adc_ref_rate"], p["adc_ref_bits"])


def oriented(g: Gemm) -> tuple[int, int, int]:
    """(N1, D, N2) as LT maps a GEMM: N1 on the core height, N2 on the width, D on wavelengths/time.

    A weight GEMM puts the weight's output features on the height and tokens on the width (so a batch-1
    GEMV fills one column); a dynamic GEMM (attention) puts the query rows on the height and keys on the
    width (so decode, with one query, fills one row); a family may swap a dynamic GEMM's operands."""
    if g.weight_operand:
        return g.n, g.k, g.m
    return g.m, g.k, g.n


def kv_cache_elements(op: Op) -> int:
    """Elements of cached K/V an attention op streams from memory (0 in prefill)."""
    if not op.kv_cache_bytes_read:
        return 0
    dtype = op.inputs[0].dtype if op.inputs else "fp16"
    return op.kv_cache_bytes_read // DTYPE_BYTES.get(dtype, 2)
