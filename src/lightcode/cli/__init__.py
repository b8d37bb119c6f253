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



def _version(value: bool) -> None:
    if value:
        from lightcode.core.provenance import version_line

        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="print the version (and the commit, in a checkout) and exit")) -> None:
    """Map LLM inference onto hybrid photonic-electronic hardware."""


# --- command registration (one line per stage) ----------------------------------------------------
from lightcode.cli.graph import register as _register_frontend  # noqa: E402

_register_frontend(app)
from lightcode.experiments.cli import register as _register_experiments  # noqa: E402

_register_experiments(app)
from lightcode.hardware.cli import register as _register_hardware  # noqa: E402

_register_hardware(app)
from lightcode.cli.compile import register as _register_compile  # noqa: E402

_register_compile(app)
from lightcode.cli.sensitivity import register as _register_sensitivity  # noqa: E402

_register_sensitivity(app)
from lightcode.cli.generate import register as _register_generate  # noqa: E402

_register_generate(app)
from lightcode.kvselect.cli import register as _register_kvselect  # noqa: E402

_register_kvselect(app)
from lightcode.cli.accuracy import register as _register_accuracy  # noqa: E402

_register_accuracy(app)
# ---------------------------------------------------------------------------------------------------


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit."""
    typer.echo(f"error: {message}", err=True)
    raise SystemExit(code)


def _one_line(text: str) -> str:
    return " ".join(str(text).split()) or "unknown error"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI: every user mistake is one `error:` line (exit 2, 3 infeasible), Ctrl-C exit 130."""
    import os

    from lightcode.cli.interrupt import graceful_interrupts

    # the CLI only writes files: a non-interactive backend unless the user chose one (the library never sets it)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from lightcode.core.warn import route_to_stderr

    route_to_stderr()  # a loader's LightcodeWarning is one `warning: …` line, once

    try:  # typer ≥ 0.20 vendors click as typer._click; its exceptions are those, not click's
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - older typer
        from click import exceptions as cx

    try:
        with graceful_interrupts():
            code = app(args=argv, prog_name="lightcode", standalone_mode=False)
        if code == 130:  # typer turned a KeyboardInterrupt into its exit code
            raise KeyboardInterrupt
        raise SystemExit(code if isinstance(code, int) else 0)
    except LightcodeError as e:
        fail(_one_line(str(e).splitlines()[0] if str(e) else type(e).__name__), e.exit_code)
    except cx.NoArgsIsHelpError as e:  # bare `lightcode` / group: the help text, exit 0
        typer.echo(e.ctx.get_help() if e.ctx else "")
        raise SystemExit(0) from None
    except cx.UsageError as e:  # bad option value, unknown option, missing argument
        where = f" (see {e.ctx.command_path} --help)" if e.ctx else ""
        fail(_one_line(e.format_message()) + where, 2)
    except cx.ClickException as e:
        fail(_one_line(e.format_message()), e.exit_code or 2)
    except (KeyboardInterrupt, getattr(cx, "Abort", KeyboardInterrupt)):
        fail("interrupted", 130)
    except BrokenPipeError:  # `lightcode … | head`: the reader left; nothing to say
        raise SystemExit(0) from None


if __name__ == "__main__":  # pragma: no cover
    main()
