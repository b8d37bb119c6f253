"""The SQLite store and the in-process executor: resumption, error rows, export."""

from __future__ import annotations

import sqlite3

from lightcode.experiments.export import to_frame
from lightcode.experiments.spec import parse_spec
from lightcode.experiments.store import Store
from lightcode.experiments.sweep import run_sweep
from sweep_fakes import fake_point


def small_spec(**kw):
    base = {"name": "t", "models": ["gpt2"], "seq_lens": [8, 16, 32], "systems": ["a", "infeasible"],
            "objectives": ["latency", "energy"]}
    base.update(kw)
    return parse_spec(base, check_names=False)


def test_record_is_unique_and_retryable_rows_are_replaced(tmp_path):
    with Store(tmp_path / "r.sqlite") as st:
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.record("h", "k1", {"x": 1}, status="ok", result={"a": 1})
        assert not st.record("h", "k1", {"x": 1}, status="error", error="late duplicate")
        assert st.record("h", "k2", {"x": 2}, status="error", error_type="KilledWorker", retryable=True)
        assert st.finished_keys("h") == {"k1"}
        assert st.record("h", "k2", {"x": 2}, status="ok", result={"a": 2})
        assert st.finished_keys("h") == {"k1", "k2"}
        assert st.count("h") == {"ok": 2}
        try:
            st.conn.execute("INSERT INTO points (spec_hash, point_key, params, status, finished_at) "
                            "VALUES ('h', 'k1', '{}', 'ok', 0)")
            raise AssertionError("UNIQUE constraint missing")
        except sqlite3.IntegrityError:
            pass


def test_sweep_resumes_and_records_errors(tmp_path):
    db = tmp_path / "r.sqlite"
    s = small_spec()
    first = run_sweep(s, db, point_fn=fake_point, workers=0, progress=False)
    assert (first.total, first.ran, first.ok, first.errors) == (12, 12, 6, 6)
    again = run_sweep(s, db, point_fn=fake_point, workers=0, progress=False)
    assert (again.skipped, again.ran) == (12, 0)
    # a larger spec is a different spec: its own rows, nothing mixed
    bigger = run_sweep(small_spec(seq_lens=[8, 16, 32, 64]), db, point_fn=fake_point, workers=0, progress=False)
    assert bigger.ran == 16
    with Store(db) as st:
        rows = list(st.rows(s.spec_hash))
    assert len(rows) == 12 and len({r["point_key"] for r in rows}) == 12
    err = [r for r in rows if r["status"] == "error"]
    assert {r["error_type"] for r in err} == {"InfeasibleError"}
    df = to_frame(rows)
    ok = df[df.status == "ok"]
    assert set(ok.columns) >= {"latency_s", "energy_j", "seq_len", "system", "objective", "ops.ptu"}
    assert ok.latency_s.notna().all()


def test_export_csv_and_parquet(tmp_path):
    import pandas as pd

    from lightcode.experiments.export import plot_sweep, write_table

    db = tmp_path / "r.sqlite"
    run_sweep(small_spec(), db, point_fn=fake_point, workers=0, progress=False)
    with Store(db) as st:
        df = to_frame(st.rows())
    back = {
        "csv": pd.read_csv(write_table(df, "csv", tmp_path / "r.csv")),
        "parquet": pd.read_parquet(write_table(df, "parquet", tmp_path / "r.parquet")),
    }
    for got in back.values():
        assert len(got) == 12 and list(got.columns) == list(df.columns)
        assert sorted(got.latency_s.dropna()) == sorted(df.latency_s.dropna())
        # what each row was computed under: one fingerprint per system (its hardware files differ)
        assert got.model_fp.notna().all() and got.model_fp.nunique() == got.system.nunique() == 2
    figs = plot_sweep(df, tmp_path / "figs")
    assert {f.name for f in figs} == {"latency_vs_length_gpt2_prefill_b1.png", "energy_vs_length_gpt2_prefill_b1.png"}
