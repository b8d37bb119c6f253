"""Input files a user names (a sweep spec, an assignment) are read with one-line errors: a missing file or
one that does not parse names the file and what is wrong, before any work."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from lightcode.errors import BadInputError


def read_input_file(path: str | os.PathLike, what: str, *, fmt: str) -> Any:
    """The parsed content of `path`, `fmt` "json" or "yaml". `what` names the file in the error ("sweep
    spec", "assignment file")."""
    p = Path(path)
    if not p.is_file():
        raise BadInputError(f"{what} {str(p)!r} not found")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInputError(f"{what} {str(p)!r} cannot be read: {getattr(e, 'strerror', None) or e}") from None
    if fmt == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise BadInputError(f"{what} {str(p)!r} is not JSON: {e.msg} (line {e.lineno})") from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise BadInputError(f"{what} {str(p)!r} is not valid YAML: {str(e).splitlines()[0]}") from None
