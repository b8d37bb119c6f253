"""The example notebook runs top to bottom in a real kernel (nbclient), and its outputs are the rich views
(HTML tables, inline figures) rather than long text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbclient = pytest.importorskip("nbclient", reason="nbclient is in the `test` extra")
nbformat = pytest.importorskip("nbformat", reason="nbformat is in the `test` extra")
pytest.importorskip("ipykernel", reason="ipykernel is in the `test` extra")

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "quickstart.ipynb"


def test_example_notebook_executes(tmp_path, monkeypatch):
    import lightcode

    src = str(Path(lightcode.__file__).resolve().parent.parent)  # the kernel imports this same lightcode
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's own inline backend, as for a user
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any("CompileResult" in h for h in html) and any("OpGraph" in h for h in html)
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2  # figures displayed inline
    assert (tmp_path / "notebook-out" / "report.html").is_file()
