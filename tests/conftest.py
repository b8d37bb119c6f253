"""Test-session settings shared by all test files."""

import atexit
import os
import shutil
import tempfile

import pytest

# One capture cache per test session: each model is exported once, whatever the number of tests using it.
if "LIGHTCODE_CACHE_DIR" not in os.environ:
    _cache = tempfile.mkdtemp(prefix="lightcode-test-cache-")
    os.environ["LIGHTCODE_CACHE_DIR"] = _cache
    atexit.register(shutil.rmtree, _cache, ignore_errors=True)
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


# Property tests draw the same examples on every run (CI and here alike): a failure is reproducible from the
# commit alone, and a run's verdict does not depend on which random instances it happened to draw.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("lightcode", derandomize=True)
_hypothesis_settings.load_profile("lightcode")
