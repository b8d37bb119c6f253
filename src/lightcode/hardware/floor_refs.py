"""The floor check's reference points (library/floors.yaml): carrier wavelength, ideal detector, temperature,
and the best reported converters — loaded and validated like every other parameter (value, unit, source)."""

from __future__ import annotations

import functools
from pathlib import Path

from lightcode.cost.families import ParamSpec
from lightcode.hardware.schema import Param, ParamValue, _Strict, convert_params

FLOORS_FILE = Path(__file__).parent / "library" / "floors.yaml"

FLOOR_SPECS: tuple[ParamSpec, ...] = (
    ParamSpec("wavelength", "m", "carrier wavelength (photon energy of the shot-noise floor)"),
    ParamSpec("quantum_efficiency", "1", "detector quantum efficiency of the floor (1 = ideal)"),
    ParamSpec("temperature", "K", "temperature of the kT/C thermal floor"),
    ParamSpec("adc_walden_fom", "J", "state-of-the-art ADC Walden FoM (J per conversion step)"),
    ParamSpec("dac_walden_fom", "J", "state-of-the-art DAC Walden-style FoM (J per conversion step)"),
)


class FloorsFile(_Strict):
    description: str = ""
    params: dict[str, Param]


def read_floor_refs(path: Path | str | None = None) -> dict[str, ParamValue]:
    p = Path(path) if path is not None else FLOORS_FILE
    return _read(p.resolve(), p.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _read(path: Path, _mtime_ns: int) -> dict[str, ParamValue]:
    from lightcode.hardware.load import read_validated

    f = read_validated(FloorsFile, path)
    return convert_params(str(path), FLOOR_SPECS, f.params)


def floor_refs_si(path: Path | str | None = None) -> dict[str, float]:
    return {k: v.value for k, v in read_floor_refs(path).items()}
