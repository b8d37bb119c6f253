"""The model fingerprint of a sweep point: a short hash of what its result is computed from besides its
parameters — the lightcode source and the hardware files its system loads.

The result store keys a point by its spec and parameters only; it keeps this fingerprint beside each finished
row, and a re-run recomputes a row whose fingerprint differs (new code, an edited unit file, another file
found first on LIGHTCODE_HARDWARE_PATH) instead of returning it as done.

Files are hashed by content, never by modification time: a checkout, copy or `touch` that leaves them equal
leaves the fingerprint equal. Not part of it: a model's Hugging Face files (config, weights) and libraries
other than LIBRARIES."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Iterable, Mapping

from lightcode.errors import LightcodeError

PACKAGE = Path(__file__).resolve().parents[1]  # src/lightcode
DIGITS = 12  # hex digits kept: 48 bits, ample to tell a few model versions apart


def _digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(hashlib.sha256(p).digest())  # hash of hashes: no two part lists concatenate alike
    return h.hexdigest()[:DIGITS]


# the libraries whose version shapes a captured graph (as frontend/capture.py's disk cache key counts them)
LIBRARIES = ("torch", "transformers")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Every `.py` of the lightcode package (path and content) and the LIBRARIES' versions; once per process."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(lib: str) -> str:
        try:
            return version(lib)
        except PackageNotFoundError:
            return "absent"

    files = sorted(PACKAGE.rglob("*.py"), key=lambda p: p.relative_to(PACKAGE).as_posix())
    return _digest([*(f"{lib}={installed(lib)}".encode() for lib in LIBRARIES),
                    *(b for p in files for b in (p.relative_to(PACKAGE).as_posix().encode(), p.read_bytes()))])


def hardware_files(system: str) -> list[Path]:
    """The files a compile on `system` reads: the system file, its `base:` chain, its units (in the order the
    loader takes them) and the floor references. Raises a LightcodeError when the system does not load."""
    from lightcode.hardware.floor_refs import FLOORS_FILE
    from lightcode.hardware.load import read_system, system_document

    spec = read_system(system, "baseline")  # the files are the same at every corner
    return [*system_document(spec.path)[1], *(u.path for u in spec.units), FLOORS_FILE]


def model_fingerprint(system: str) -> str:
    """The fingerprint of a point on `system` (a name or a path): the code's and its hardware files'. A system
    that does not load is fingerprinted by the loader's message (the point records that error; fixing the
    file changes the message, so the point is computed again)."""
    try:
        parts = [p.read_bytes() for p in hardware_files(system)]
    except LightcodeError as e:
        parts = [b"unloadable", str(e).encode()]
    except OSError as e:  # a file removed between resolving and reading it
        parts = [b"unreadable", str(e).encode()]
    return _digest([code_fingerprint().encode(), *parts])


def combined(fingerprints: Mapping[str, str]) -> str:
    """One fingerprint for several systems' ({system: fingerprint}); a single system's own when only one."""
    if len(fingerprints) == 1:
        return next(iter(fingerprints.values()))
    return _digest(f"{s}={f}".encode() for s, f in sorted(fingerprints.items()))
