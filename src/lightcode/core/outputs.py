"""Output paths are checked before any work: a compile or sweep that cannot write its results fails at
once with one line, not after minutes of work."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lightcode.errors import BadInputError


def check_out_dir(path: str | os.PathLike, flag: str = "--out") -> Path:
    """Create the directory if needed and prove it writable (a probe file is made and removed)."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise BadInputError(f"{flag} {p}: is an existing file; give a directory")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".lightcode-probe-", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise BadInputError(f"{flag} {p}: cannot write there ({e.strerror or type(e).__name__}); "
                            f"choose a writable directory") from None
    return p


def check_out_file(path: str | os.PathLike, flag: str) -> Path:
    """The file's directory must exist or be creatable and writable; the file itself may exist."""
    p = Path(path)
    if p.is_dir():
        raise BadInputError(f"{flag} {p}: is a directory; give a file path")
    check_out_dir(p.parent if str(p.parent) else Path("."), flag)
    return p
