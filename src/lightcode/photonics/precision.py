"""The precision check: how many bits the converter after an analog accumulation must resolve.

A detector (or integrator) sums n products in the analog domain before one ADC conversion. The sum's
full scale grows n× while a typical (uncorrelated) signal grows √n×, so keeping operand-level resolution
of the signal needs extra converter bits: b_adc = b + ⌈g · log2 n⌉, with g the unit's growth coefficient
(g = 0.5: √n statistics; g = 1: worst case, lossless; g = 0: LT's assumption that the ADC runs at the
activation bit width — photonic_sims.md §1.8 item 2). An op whose b_adc exceeds what the ADC reference
design or the link's noise allows has no realization on the unit (families return None).
"""

from __future__ import annotations

import math


def adc_bits_required(operand_bits: float, n_analog: float, growth_per_doubling: float) -> int:
    if n_analog <= 1:
        return int(math.ceil(operand_bits))
    return int(math.ceil(operand_bits + growth_per_doubling * math.log2(n_analog) - 1e-9))


# Bits of the operands a photonic unit is asked to compute with, per model dtype: a unit never computes
# wider than its own `bits`; narrower integer dtypes run at their own width.
_DTYPE_BITS = {"int4": 4, "int8": 8, "uint8": 8}


def operand_bits(unit_bits: float, dtype: str) -> float:
    return min(unit_bits, _DTYPE_BITS.get(dtype, unit_bits))
