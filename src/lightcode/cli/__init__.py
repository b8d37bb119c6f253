"""The `lightcode` command line: a thin layer that parses, calls the stages, prints.

Sub-command groups live beside the stage they drive (`hardware/cli.py`, `kvselect/cli.py`, …) and are
registered here. Heavy imports (torch, ortools) happen inside commands so `--help` stays fast.
"""

from __future__ import annotations

import typer

from lightcode.errors import LightcodeError

app = typer.Typer(
    name="lightcode",
    help="Map LLM inference onto hybrid photonic-electronic hardware.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# --- command registration (one line per stage) ----------------------------------------------------
from lightcode.cli.graph import register as _register_frontend  # noqa: E402

_register_frontend(app)
from lightcode.experiments.cli import register as _register_experiments  # noqa: E402

_register_experiments(app)
from lightcode.hardware.cli import register as _register_hardware  # noqa: E402

_register_hardware(app)
from lightcode.cli.compile import register as _register_compile  # noqa: E402

_register_compile(app)
from lightcode.kvselect.cli import register as _register_kvselect  # noqa: E402

_register_kvselect(app)
from lightcode.cli.accuracy import register as _register_accuracy  # noqa: E402

_register_accuracy(app)
# ---------------------------------------------------------------------------------------------------


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit."""
    typer.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def main() -> None:
    try:
        app()
    except LightcodeError as e:
        fail(str(e).splitlines()[0] if str(e) else type(e).__name__, e.exit_code)
    except KeyboardInterrupt:
        fail("interrupted", 130)


if __name__ == "__main__":  # pragma: no cover
    main()
