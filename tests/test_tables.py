"""The long metric-table schema, provenance columns and atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from lowdim import tables

ROW = {"study": "s", "experiment": "e", "model": "m", "dataset": "d", "seed": 0, "step": 3,
       "step_unit": "epoch", "layer": 1, "metric": "nc1", "value": 0.5}


def test_frame_has_schema_and_provenance(tmp_path):
    df = tables.frame([ROW, {**ROW, "layer": None, "metric": "loss"}], params_hash="abc123")
    assert list(df.columns) == list(tables.SCHEMA)
    assert set(df["params_hash"]) == {"abc123"} and df["git_rev"].str.len().min() > 0
    assert df["layer"].isna().sum() == 1
    tables.write(df, tmp_path / "t.parquet")
    back = tables.read(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back, df)


@pytest.mark.parametrize("bad,match", [
    ({"step_unit": "fortnight"}, "step_unit"),
    ({"seed": None}, "seed"),
    ({"metric": None}, "metric"),
])
def test_invalid_rows_are_rejected(bad, match):
    with pytest.raises((tables.TableError, TypeError, ValueError), match=match):
        tables.frame([{**ROW, **bad}], params_hash="x")


def test_duplicate_keys_are_rejected():
    with pytest.raises(tables.TableError, match="duplicate"):
        tables.frame([ROW, ROW], params_hash="x")


def test_killed_writer_leaves_no_file(tmp_path):
    """SIGKILL in the middle of writing: neither the table nor a temp file survives as output."""
    target = tmp_path / "big.parquet"
    code = textwrap.dedent(f"""
        import os, pandas as pd
        from lowdim import io
        def writer(tmp):
            with open(tmp, "wb") as f:
                f.write(b"PAR1" * 1000); f.flush()
                os.kill(os.getpid(), 9)
        io.write_atomic({str(target)!r}, writer)
    """)
    res = subprocess.run([sys.executable, "-c", code])
    assert res.returncode == -signal.SIGKILL
    assert not target.exists()
    # the orphaned temp file is hidden and never matches the output name
    assert all(p.name.startswith(".big.parquet.") for p in tmp_path.iterdir())


def test_failed_writer_removes_its_temp_file(tmp_path):
    def writer(tmp):
        tmp.write_text("partial")
        raise RuntimeError("boom")

    from lowdim.io import write_atomic

    with pytest.raises(RuntimeError):
        write_atomic(tmp_path / "x.json", writer)
    assert os.listdir(tmp_path) == []
