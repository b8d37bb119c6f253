"""Provenance of a result: what produced it (version, commit and whether the tree had uncommitted changes,
command line), from what (hashes of the system's files) and under which settings (corner, dtype, precision
policy, solver time limit). `provenance(...)` is the one dict that report.json, sweep rows and reports carry."""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterable

VERSION = "0.1.0"  # = pyproject.toml's [project] version; `lightcode.__version__`
_PKG = Path(__file__).resolve().parent.parent  # src/lightcode


@functools.lru_cache(maxsize=1)
def _git() -> tuple[str | None, bool | None]:
    """(commit, dirty) of the checkout the package runs from; (None, None) outside a git checkout."""
    try:
        run = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True, cwd=_PKG, timeout=5)  # noqa: E731
        head = run("rev-parse", "HEAD")
        if head.returncode != 0 or not head.stdout.strip():
            return None, None
        changed = run("status", "--porcelain", "--untracked-files=no", "--", str(_PKG)).stdout.splitlines()
        dirty = any(line.rstrip().endswith((".py", ".yaml", ".json")) for line in changed)  # code and data
        return head.stdout.strip(), dirty
    except (OSError, subprocess.SubprocessError):
        return None, None


def git_commit() -> str:
    """The short commit id, "+changes" when the package's code or data differ from it."""
    sha, dirty = _git()
    return "unknown" if sha is None else sha[:7] + (" +changes" if dirty else "")


def version() -> str:
    return VERSION


def version_line() -> str:
    """`lightcode --version`: the version and, in a checkout, the commit."""
    sha, dirty = _git()
    tail = "" if sha is None else f" (commit {sha[:10]}{', uncommitted changes' if dirty else ''})"
    return f"lightcode {version()}{tail}"


def file_hashes(paths: Iterable[str | Path]) -> dict[str, str]:
    """{file name: sha256} of the files a result depends on (system and unit YAML), in the given order."""
    out: dict[str, str] = {}
    for p in paths:
        p = Path(p)
        try:
            out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            out[p.name] = "unreadable"
    return out


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def provenance(*, system: str | None = None, system_files: Iterable[str | Path] = (), corner: str | None = None,
               dtype: str | None = None, precision_policy: str | None = None, time_limit_s: float | None = None,
               argv: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance object of one result. argv defaults to this process's command line."""
    sha, dirty = _git()
    d: dict[str, Any] = {
        "lightcode_version": version(),
        "commit": sha,
        "dirty": dirty,
        "argv": list(sys.argv if argv is None else argv),
        "python": platform.python_version(),
        "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "system": system,
        "system_files_sha256": file_hashes(system_files),
        "corner": corner,
        "dtype": dtype,
        "precision_policy": precision_policy,
        "time_limit_s": time_limit_s,
    }
    d.update(extra)
    return d
