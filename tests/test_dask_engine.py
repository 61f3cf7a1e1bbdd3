"""The Dask mechanics: partitions, broadcast rules, atomic part files, the missing-Dask error."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from policymatch.errors import InputError, PolicymatchError

pytest.importorskip("distributed")

from policymatch import dask_engine  # noqa: E402


def standin_chunk(compiled, firms, as_of, run_id):
    """Stand-in for batch.evaluate_chunk: firms whose revenue reaches the rule's threshold."""
    hit = firms[firms["revenue"].fillna(-1) >= compiled["min_revenue"]]
    return pd.DataFrame({"uscc": hit["uscc"], "policy_id": "p", "item_id": "1", "status": "eligible"})


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster, set_as_default=False) as c:
            yield c


@pytest.fixture
def registry(tmp_path):
    n = 1000
    df = pd.DataFrame({"uscc": [f"U{i:05d}" for i in range(n)], "revenue": np.arange(n, dtype="int64")})
    df.loc[::7, "revenue"] = None
    path = tmp_path / "reg.parquet"
    df.to_parquet(path)
    return path, df


def test_every_partition_written_once_with_all_matches(client, registry, tmp_path):
    path, df = registry
    out = tmp_path / "out"
    out.mkdir()
    seen = []
    ddf = dask_engine.read_partitions(str(path), partitions=5)
    stats = dask_engine.evaluate_partitions(
        client, ddf, {"min_revenue": 500}, "2025-01-01", 1, str(out), standin_chunk,
        on_progress=lambda s, total: seen.append((s.number, total)),
    )
    assert [s.number for s in stats] == list(range(5))
    assert sorted(seen) == [(i, 5) for i in range(5)]
    assert sum(s.firms for s in stats) == len(df)
    files = sorted(p.name for p in out.iterdir())
    parts = [dask_engine.partition_file(i) for i in range(5)]
    assert files == sorted(parts + [dask_engine.partition_file(i, dask_engine.FIRMS_PREFIX) for i in range(5)])
    got = pd.concat([pd.read_parquet(out / f) for f in parts])
    expected = df[df["revenue"].fillna(-1) >= 500]["uscc"]
    assert sorted(got["uscc"]) == sorted(expected)
    assert sum(s.rows for s in stats) == len(expected)


@pytest.mark.parametrize(("min_partitions", "rows", "expected"), [(4, 100_000, 4), (1, 300, 4), (2, 100, 10)])
def test_default_partitions_bound_rows_and_give_every_thread_work(registry, min_partitions, rows, expected):
    ddf = dask_engine.read_partitions(str(registry[0]), min_partitions=min_partitions, partition_rows=rows)
    assert ddf.npartitions == expected
    assert len(ddf) == len(registry[1])


@pytest.mark.parametrize("path", ["missing.parquet"])
def test_missing_registry_is_a_chinese_input_error(tmp_path, path):
    with pytest.raises(InputError, match="不存在"):
        dask_engine.read_partitions(str(tmp_path / path))


def test_not_parquet_is_a_chinese_input_error(tmp_path):
    bad = tmp_path / "reg.parquet"
    bad.write_text("uscc,revenue\nA,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="Parquet"):
        dask_engine.read_partitions(str(bad))


def test_missing_dask_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(PolicymatchError, match=r'pip install "policymatch\[dask\]"'):
        dask_engine.require_dask()


def _broken_chunk(compiled, firms, as_of, run_id):
    raise ZeroDivisionError("boom")


def _refusing_chunk(compiled, firms, as_of, run_id):
    raise InputError("规则不可用", field="rules")


@pytest.mark.parametrize(
    ("chunk_fn", "message"),
    [(_broken_chunk, "分布式运行失败：任务出错（ZeroDivisionError: boom）"), (_refusing_chunk, "rules: 规则不可用")],
)
def test_a_failing_task_becomes_one_chinese_error(client, registry, tmp_path, chunk_fn, message):
    ddf = dask_engine.read_partitions(str(registry[0]), partitions=3)
    with pytest.raises(PolicymatchError) as e:
        dask_engine.evaluate_partitions(client, ddf, {}, None, 1, str(tmp_path), chunk_fn)
    assert message in str(e.value)
    assert not list(tmp_path.glob("part-*"))
