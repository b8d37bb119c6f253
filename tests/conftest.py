"""Test-session settings shared by all test files."""

import os
import tempfile

import pytest

# One capture cache per test session: each model is exported once, whatever the number of tests using it.
os.environ.setdefault("LIGHTCODE_CACHE_DIR", tempfile.mkdtemp(prefix="lightcode-test-cache-"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run `lightcode ARGS…` in process; returns (exit code, stdout, stderr)."""
    from lightcode import cli

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.argv", ["lightcode", *args])
        code = 0
        try:
            cli.main()
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
