"""Dask worker preload (`LocalCluster(preload=[__name__])`): a started worker ignores Ctrl-C.

Ctrl-C in a terminal reaches every process of the foreground group; the sweep's client shuts its workers
down cleanly, but workers that took the SIGINT themselves each printed a KeyboardInterrupt traceback.
(multiprocessing's spawn resets signal masks and dispositions, so this cannot be arranged earlier: a
Ctrl-C in the second or two while a worker process is still importing can still print its traceback.)

A worker also keeps the loaders' LightcodeWarnings to itself: the client says each once (the sweep command
reads every system at every corner before dispatching), not once per worker process."""

from __future__ import annotations

import signal


def dask_setup(worker) -> None:  # noqa: ARG001 — the preload protocol passes the worker
    import warnings

    from lightcode.core.warn import LightcodeWarning

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warnings.filterwarnings("ignore", category=LightcodeWarning)
