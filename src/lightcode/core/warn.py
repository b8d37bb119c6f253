"""Warnings about the user's inputs, each said once per process, and kept with the result they changed.

`warn_once(msg)` raises a Python `LightcodeWarning` (a notebook sees it as usual) the first time a message
is seen; the CLI prints it as one `warning: …` line on stderr (cli/__init__.py). The same message from a
loader asked a hundred times during a compile is still one line.

A warning changes what a result assumes (a unit's baseline stands in for a corner it lacks; a user file hides
a library one), so a compile collects every message said while it runs (`collecting`) into its result's
`warnings`, even one this process said before. A loader cached with `remembers_warnings` says its
warnings again on every cache hit (silently, to the collectors), so the second compile of the same system
carries them too."""

from __future__ import annotations

import functools
import threading
import warnings
from contextlib import contextmanager
from typing import Callable, Iterator

_SEEN: set[str] = set()
# the open `collecting` blocks of each thread, innermost last: a compile and the loaders it calls share a
# thread, and compiles on other threads (a sweep worker's) must not see each other's warnings
_LOCAL = threading.local()


def _collectors() -> list[list[str]]:
    if not hasattr(_LOCAL, "collectors"):
        _LOCAL.collectors = []
    return _LOCAL.collectors


class LightcodeWarning(UserWarning):
    """A doubtful input that still has a defined meaning (e.g. a corner a unit file does not define)."""


# warn_once already says each message once: Python's per-location registry must not hide one said again after
# reset() (a user's own filter, added later, still takes precedence)
warnings.simplefilter("always", LightcodeWarning)


def warn_once(message: str) -> None:
    for said in _collectors():
        if message not in said:
            said.append(message)
    if message in _SEEN:
        return
    _SEEN.add(message)
    warnings.warn(message, LightcodeWarning, stacklevel=3)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """The messages warn_once is given inside the block, in first-said order, each once (nested blocks: each
    gets all of its own)."""
    said: list[str] = []
    open_blocks = _collectors()
    open_blocks.append(said)
    try:
        yield said
    finally:
        del open_blocks[next(k for k, c in enumerate(open_blocks) if c is said)]  # by identity: [] == []


def remembers_warnings(maxsize: int | None) -> Callable:
    """`functools.lru_cache(maxsize)` that keeps the warnings the first call said and says them again
    (warn_once: to the collectors, not twice on stderr) on every hit. `cache_clear` as lru_cache's."""

    def decorate(fn: Callable) -> Callable:
        @functools.lru_cache(maxsize=maxsize)
        def cached(*args):
            with collecting() as said:
                value = fn(*args)
            return value, tuple(said)

        @functools.wraps(fn)
        def call(*args):
            value, said = cached(*args)
            for message in said:
                warn_once(message)
            return value

        call.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
        call.cache_info = cached.cache_info  # type: ignore[attr-defined]
        return call

    return decorate


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
