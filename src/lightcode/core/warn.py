"""Warnings about the user's inputs, each said once per process.

`warn_once(msg)` raises a Python `LightcodeWarning` (a notebook sees it as usual) the first time a message
is seen; the CLI prints it as one `warning: …` line on stderr (cli/__init__.py). The same message from a
loader asked a hundred times during a compile is still one line."""

from __future__ import annotations

import warnings

_SEEN: set[str] = set()


class LightcodeWarning(UserWarning):
    """A doubtful input that still has a defined meaning (e.g. a corner a unit file does not define)."""


# warn_once already says each message once: Python's per-location registry must not hide one said again after
# reset() (a user's own filter, added later, still takes precedence)
warnings.simplefilter("always", LightcodeWarning)


def warn_once(message: str) -> None:
    if message in _SEEN:
        return
    _SEEN.add(message)
    warnings.warn(message, LightcodeWarning, stacklevel=3)


def reset() -> None:
    """Forget what was said and printed (tests)."""
    _SEEN.clear()
    _PRINTED.clear()


_PRINTED: set[str] = set()


def echo_once(message: str) -> None:
    """Print `warning: MESSAGE` on stderr unless this process already printed it (the CLI's one channel for
    warnings: the loaders' LightcodeWarnings and a result's own warnings alike)."""
    import sys

    if message in _PRINTED:
        return
    _PRINTED.add(message)
    print(f"warning: {message}", file=sys.stderr)


def route_to_stderr() -> None:
    """Show LightcodeWarnings as `warning: …` lines through echo_once (the CLI calls this); others as usual."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001 - warnings' signature
        if isinstance(category, type) and issubclass(category, LightcodeWarning):
            echo_once(str(message))
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
