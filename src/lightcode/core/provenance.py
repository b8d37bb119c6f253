"""Provenance of a result: the code's commit (and whether it has uncommitted changes) and the time."""

from __future__ import annotations

import datetime as _dt
import subprocess
from pathlib import Path


def git_commit() -> str:
    """The short commit id, "+changes" when the package's code or data differ from it."""
    here = Path(__file__).parent
    try:
        run = lambda *a: subprocess.run(["git", *a], capture_output=True, text=True, cwd=here, timeout=5).stdout  # noqa: E731
        sha = run("rev-parse", "--short", "HEAD").strip()
        changed = run("status", "--porcelain", "--untracked-files=no", "--", str(here.parent)).splitlines()
        dirty = any(line.rstrip().endswith((".py", ".yaml", ".json")) for line in changed)  # code and data, not docs
        return (sha + (" +changes" if dirty else "")) if sha else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
