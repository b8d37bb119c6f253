"""Ctrl-C and SIGTERM: one `error: interrupted` line and exit 130, whatever library is running.

Python raises KeyboardInterrupt at the next bytecode after SIGINT; libraries that install their own handler
(CP-SAT would, we turn that off in its parameters) or block in C code delay it but cannot swallow it. SIGTERM is
treated like SIGINT so `timeout` and job schedulers get the same clean exit. Files being written are protected
by writing them atomically (temp file + rename), never by the handler.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


@contextmanager
def graceful_interrupts() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in previous:
        signal.signal(s, _raise_interrupt)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
