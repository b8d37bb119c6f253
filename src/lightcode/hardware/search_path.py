"""Where unit and system files are found by name: the user's `LIGHTCODE_HARDWARE_PATH`, then the library.

`LIGHTCODE_HARDWARE_PATH` is a list of directories separated by `os.pathsep` (":" on Linux/macOS, ";" on
Windows); each holds `units/NAME.yaml` and/or `systems/NAME.yaml`, laid out like the built-in library
(hardware/library/). Directories are searched in the order given, the library last, so a user file may
replace a library one of the same name (said once as a warning, naming both files). The variable is read
on every lookup: setting it in a notebook takes effect at once, and sweep workers inherit it."""

from __future__ import annotations

import os
from pathlib import Path

from lightcode.core.warn import remembers_warnings, warn_once
from lightcode.errors import ConfigError

ENV = "LIGHTCODE_HARDWARE_PATH"
LIBRARY = Path(__file__).parent / "library"
KIND_DIRS = {"unit": "units", "system": "systems"}


def user_roots() -> list[Path]:
    """The directories of LIGHTCODE_HARDWARE_PATH, checked (each must exist and hold units/ or systems/)."""
    raw = os.environ.get(ENV, "")
    roots = []
    for part in raw.split(os.pathsep):
        if not part.strip():
            continue
        p = Path(part).expanduser()
        if not p.is_dir():
            raise ConfigError(f"{ENV}: {part}: no such directory (each entry is a directory holding units/ "
                              f"and/or systems/; separate entries with {os.pathsep!r})")
        if not any((p / d).is_dir() for d in KIND_DIRS.values()):
            raise ConfigError(f"{ENV}: {part}: holds neither units/ nor systems/ (put unit files in "
                              f"{p / 'units'} and system files in {p / 'systems'})")
        roots.append(p.resolve())
    return roots


def roots() -> list[Path]:
    """Every directory searched by name, in order: the user's, then the library."""
    return [*user_roots(), LIBRARY]


def kind_dirs(kind: str) -> list[Path]:
    """The `units/` (kind='unit') or `systems/` ('system') directories searched, in order."""
    return [r / KIND_DIRS[kind] for r in roots() if (r / KIND_DIRS[kind]).is_dir()]


def is_named_dir(directory: Path, kind: str) -> bool:
    """True for a directory whose files are found by name (so each file's `name` must equal its stem)."""
    return directory.resolve() in {d.resolve() for d in kind_dirs(kind)}


def index(kind: str) -> dict[str, Path]:
    """name -> the file it resolves to (the first directory that has it). Cached on the directories and their
    modification times (adding or removing a file changes its directory's), so a lookup costs a few stats."""
    dirs = tuple(kind_dirs(kind))
    return dict(_index(kind, dirs, tuple(d.stat().st_mtime_ns for d in dirs)))


@remembers_warnings(32)  # a cache hit still says which user file hides a library one
def _index(kind: str, dirs: tuple[Path, ...], _mtimes: tuple[int, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for d in dirs:
        for p in sorted(d.glob("*.yaml")):
            if p.stem in found:
                warn_once(f"{kind} {p.stem!r}: {found[p.stem]} is used; it hides {p} (earlier in {ENV} wins)")
                continue
            found[p.stem] = p
    return found


def origin(path: Path) -> str:
    """'library' or the LIGHTCODE_HARDWARE_PATH directory a file was found in."""
    path = path.resolve()
    if LIBRARY.resolve() in path.parents:
        return "library"
    for r in user_roots():
        if r in path.parents:
            return str(r)
    return str(path.parent)
