"""What `reproduce lightcode-2025` runs: the papers, models, the two physics and the plan, and the authors'
one published run (papers/lightcode-2025.yaml). Shared by the runner (reproduce.py) and the report writer
(repro_report.py), which otherwise would import each other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lightcode.errors import BadInputError

PAPERS = ("lightcode-2025",)
MODELS = ("gpt2", "llama2-7b")
PAPER_DIR = Path(__file__).parent / "papers"


@dataclass(frozen=True)
class Physics:
    key: str
    label: str
    system: str
    ptu: str  # the photonic unit's name inside the system
    cores: str  # its parameter playing "PTU cores"
    mux: str  # its parameter playing "multiplexing factor" (WDM channels)
    precision: str = "native"  # the compile request's precision policy (pipeline/request.py)


PHYSICS = (
    Physics("authors", "authors' constants", "h100+ptu-lightcode", "ptu-lightcode", "cores", "multiplex"),
    # the authors' model is their constants at their formats; the fuller physics runs under both policies:
    # native (each unit at its own formats, as the paper compares) and parity (the GPU at the same floor)
    Physics("fuller", "fuller physics, native formats", "h100+ddot-b-4bit", "ddot-b-4bit", "tiles", "wavelengths"),
    Physics("fuller-parity", "fuller physics, precision parity", "h100+ddot-b-4bit", "ddot-b-4bit", "tiles",
            "wavelengths", "parity"),
)


@dataclass(frozen=True)
class Plan:
    lengths: dict[str, list[int]]  # model -> prefill lengths
    e2_model: str
    e2_len: int
    cores: list[int]
    mux: list[int]
    time_limit_s: float


@dataclass(frozen=True)
class SingleRun:
    """The authors' one published run (papers/lightcode-2025.yaml), in SI units."""

    source: str
    model: str
    phase: str
    seq_len: int
    objective: str
    hardware: str
    energy_j: float
    makespan_s: float
    ptu_gemms: int
    ptu_capable_gemms: int
    weight_memory_node_j: float  # the authors' per-element HBM memory-node energy, not charged by our model
    weight_memory_node_source: str
    gpu_mac_j: float  # the authors' flat GPU energy per MAC


def load_single_run(paper: str = "lightcode-2025") -> SingleRun:
    import yaml

    from lightcode.hardware.quantity import QuantityError, parse_value

    path = PAPER_DIR / f"{paper}.yaml"
    try:
        doc = yaml.safe_load(path.read_text())
        r, acc = doc["single_run"], doc["authors_accounting"]["weight_memory_node_energy"]
        return SingleRun(
            source=str(r["source"]), model=str(r["model"]), phase=str(r["phase"]), seq_len=int(r["seq_len"]),
            objective=str(r["objective"]), hardware=str(r["hardware"]),
            energy_j=parse_value(r["energy"]["value"], "J"), makespan_s=parse_value(r["makespan"]["value"], "s"),
            ptu_gemms=int(r["ptu_gemms"]["value"]), ptu_capable_gemms=int(r["ptu_capable_gemms"]["value"]),
            weight_memory_node_j=parse_value(acc["value"], "J"), weight_memory_node_source=str(acc["source"]),
            gpu_mac_j=parse_value(doc["authors_accounting"]["gpu_mac_energy"]["value"], "J"),
        )
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, QuantityError) as e:
        raise BadInputError(f"{path}: bad paper file ({type(e).__name__}: {e})") from None


