"""A progress bar on stderr with an estimate from the measured rate (elapsed / done × remaining).

Work units are given weights by the caller (e.g. a layer of an 8K cell costs more than one of a 2K cell),
so the estimate is the measured time per unit of weight, not per step. Off unless enabled (tests, JSON).
"""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: float, label: str, enabled: bool = True, stream=None, width: int = 24):
        self.total, self.label, self.enabled = max(float(total), 1e-12), label, enabled
        self.stream = stream or sys.stderr
        self.width, self.done, self.t0, self._last = width, 0.0, time.perf_counter(), 0.0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def step(self, weight: float = 1.0, note: str = "") -> None:
        self.done += weight
        if not self.enabled:
            return
        now = time.perf_counter()
        finished = self.done >= self.total - 1e-9
        if not finished and now - self._last < (0.2 if self.tty else 5.0):
            return  # a line every 5 s when stderr is a file or pipe
        self._last = now
        el = now - self.t0
        frac = min(1.0, self.done / self.total)
        left = el / frac * (1 - frac) if frac > 0 else float("nan")
        bar = "#" * int(round(frac * self.width))
        msg = (f"{self.label} [{bar:<{self.width}}] {100 * frac:5.1f} %  {el:6.1f} s elapsed, "
               f"~{left:.0f} s left {note}")
        self.stream.write(("\r" + msg) if self.tty else (msg + "\n"))
        if finished and self.tty:
            self.stream.write("\n")
        self.stream.flush()
