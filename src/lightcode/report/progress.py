"""Progress on stderr for steps that may take more than a moment (a first capture, the solver stages).

A stage says nothing unless it is still running after `delay_s` (default 2 s): then, on a terminal, a line
that updates with the elapsed time and ends with "done in X s"; when stderr is not a terminal it stays quiet
unless LIGHTCODE_PROGRESS=1 (then one line at the start and one at the end). LIGHTCODE_PROGRESS=0 silences
it everywhere. Nothing is written to stdout, so `--json` output stays one object."""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

from lightcode.core.si import si

DELAY_S = 2.0


def enabled(stream=None) -> bool:
    env = os.environ.get("LIGHTCODE_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


@contextmanager
def stage(label: str, *, delay_s: float = DELAY_S, stream=None):
    """Report LABEL on stderr if the block runs longer than delay_s."""
    stream = stream or sys.stderr
    if not enabled(stream):
        yield
        return
    tty = bool(getattr(stream, "isatty", lambda: False)())
    t0 = time.perf_counter()
    done = threading.Event()
    shown = threading.Event()

    def ticker() -> None:
        if done.wait(delay_s):
            return
        shown.set()
        if not tty:
            stream.write(f"lightcode: {label} …\n")
            stream.flush()
            return
        while not done.wait(0.25):
            stream.write(f"\r{label} … {si(time.perf_counter() - t0, 's', 3)}")
            stream.flush()

    th = threading.Thread(target=ticker, daemon=True)
    th.start()
    try:
        yield
    finally:
        done.set()
        th.join()
        if shown.is_set():
            msg = f"{label}: done in {si(time.perf_counter() - t0, 's', 3)}"
            stream.write(("\r" + msg + " " * 8 + "\n") if tty else f"lightcode: {msg}\n")
            stream.flush()
