"""Every claim of the scorecard on hand-made evidence: one where it must pass, one where it must fail."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from lowdim import claims
from lowdim.claims import Evidence

from conftest import ROOT

THRESHOLDS = yaml.safe_load((ROOT / "params.yaml").read_text())["claims"]


def frame(rows: list[tuple]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["experiment", "model", "dataset", "seed", "step", "layer", "metric", "value"])
    df["layer"] = df["layer"].astype("Int64")
    return df


def collapse_rows(nc1_std=(1.0, 0.3, 0.05), nc1_nrm=(0.5, 0.04, 0.01), fall=True, rate=0.5, best_layer=1):
    rows = []
    for model, nc1 in (("mlp-standard", nc1_std), ("mlp-normalized", nc1_nrm)):
        for i, step in enumerate((5, 10, 15)):
            rows.append(("training", model, "digits", 0, step, None, "nc1", nc1[i]))
            for m in ("nc2", "nc3", "nc4"):
                rows.append(("training", model, "digits", 0, step, None, m, (1.0 - 0.3 * i) if fall else (0.5 + 0.2 * i)))
    for layer in range(5):
        rows.append(("layerwise", "mlp-standard", "digits", 0, 15, layer, "compression", 2.0 * rate**layer))
        rows.append(("layerwise", "mlp-standard", "digits", 0, 15, layer, "discrimination", 0.1 + 0.1 * layer))
        rows.append(("transfer", "mlp-transfer", "digits", 0, 15, layer, "transfer_acc", 0.9 - 0.1 * abs(layer - best_layer)))
    return frame(rows)


def dln_rows(rate=0.8, disc_slope=0.05, moving=6.0, angle=1e-10):
    rows = []
    for layer in range(6):
        rows.append(("progressive", "linear-L5", "gm", 0, 100, layer, "compression", rate**layer))
        rows.append(("progressive", "linear-L5", "gm", 0, 100, layer, "discrimination",
                     0.1 + disc_slope * layer + (0.3 * (layer % 2) if disc_slope <= 0 else 0)))
    for step in (1, 2):
        rows.append(("invariant", "gd-whitened", "lowrank30r3", 0, step, 1, "moving_singular_values", moving))
        rows.append(("invariant", "gd-whitened", "lowrank30r3", 0, step, 1, "angle_fixed_left_final", angle))
    return frame(rows)


def completion_rows(l2=0.2, l3=1e-5, iters_wide=2000):
    rows = []
    for depth, err in ((2, l2), (3, l3)):
        for width, steps in ((10, 4000), (100, iters_wide if depth == 3 else 4000)):
            for step in (steps // 2, steps):
                rows.append(("depth_width", f"L{depth}-w{width}", "syn", 0, step, None, "test_error",
                             (err if width == 100 else 0.5) * (2 if step < steps else 1)))
    return frame(rows)


def adapt_rows(deep_small=0.3, lora_small=0.2, deep_ranks=(0.40, 0.42, 0.41), lora_ranks=(0.2, 0.45, 0.3)):
    rows = []
    for method, small, by_rank in (("deep_lora", deep_small, deep_ranks), ("lora", lora_small, lora_ranks)):
        for seed in (0, 1):
            rows.append(("fewshot", f"{method}-r8", "stsb-n16", seed, 50, None, "dev_pearson", small))
            rows.append(("fewshot", f"{method}-r8", "stsb-n16", seed, 50, None, "train_pearson", 0.9))
            for rank, v in zip((2, 8, 32), by_rank):
                rows.append(("fewshot", f"{method}-r{rank}", "stsb-n64", seed, 50, None, "dev_pearson", v))
    return frame(rows)


SUMMARIES = {
    "dln": {"compressed": {"compressed": {"max_deviation_from_full": 1e-6}, "speedup_compressed_vs_full": 3.0}},
    "completion": {
        "speed": {"full": {"final_test_error": 1e-5, "speedup_vs_full": 1.0},
                  "compressed-r5-g0": {"final_test_error": 0.6, "speedup_vs_full": None},
                  "compressed-r5-g0.01": {"final_test_error": 2e-5, "speedup_vs_full": 2.0},
                  "als": {"final_test_error": 1e-6, "speedup_vs_full": 100.0}},
        "movielens": {"full": {"best_test_rmse": 0.94}, "compressed": {"best_test_rmse": 0.93},
                      "als": {"best_test_rmse": 0.935}, "_baseline_mean_rating_rmse": 1.12}},
}


def good() -> Evidence:
    return Evidence({"collapse": collapse_rows(), "dln": dln_rows(), "completion": completion_rows(),
                     "adapt": adapt_rows()}, copy.deepcopy(SUMMARIES))


def _set(ev: Evidence, study: str, df: pd.DataFrame) -> Evidence:
    ev.tables[study] = df
    return ev


def _summary(path: list, value):
    def mutate(ev: Evidence) -> Evidence:
        d = ev.summaries
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value
        return ev
    return mutate


#: claim -> a mutation of the good evidence under which that claim must fail
BAD = {
    "nc1_falls": lambda ev: _set(ev, "collapse", collapse_rows(nc1_std=(1.0, 0.5, 0.2))),
    "nc234_fall": lambda ev: _set(ev, "collapse", collapse_rows(fall=False)),
    "normalized_faster": lambda ev: _set(ev, "collapse", collapse_rows(nc1_nrm=(1.0, 0.5, 0.2))),
    "dln_geometric_compression": lambda ev: _set(ev, "dln", dln_rows(rate=1.2)),
    "dln_linear_discrimination": lambda ev: _set(ev, "dln", dln_rows(disc_slope=0.0)),
    "nonlinear_geometric_compression": lambda ev: _set(ev, "collapse", collapse_rows(rate=1.3)),
    "transfer_before_last": lambda ev: _set(ev, "collapse", collapse_rows(best_layer=4)),
    "law_of_parsimony": lambda ev: _set(ev, "dln", dln_rows(moving=30.0, angle=0.3)),
    "compressed_follows_full": _summary(["dln", "compressed", "compressed", "max_deviation_from_full"], 0.5),
    "depth_prevents_overfitting": lambda ev: _set(ev, "completion", completion_rows(l2=2e-5)),
    "width_accelerates": lambda ev: _set(ev, "completion", completion_rows(iters_wide=5000)),
    "compressed_completion": _summary(["completion", "speed", "compressed-r5-g0.01", "final_test_error"], 0.3),
    "movielens_rmse": _summary(["completion", "movielens", "compressed", "best_test_rmse"], 1.0),
    "deep_lora_small_n": lambda ev: _set(ev, "adapt", adapt_rows(deep_small=0.1)),
    "deep_lora_rank_robust": lambda ev: _set(ev, "adapt", adapt_rows(deep_ranks=(0.1, 0.5, 0.2))),
}


def _result(ev: Evidence, name: str) -> pd.Series:
    df = claims.evaluate(ev, THRESHOLDS)
    return df.set_index("claim").loc[name]


def test_every_registered_claim_is_tested_and_documented():
    names = [c.name for c in claims.REGISTRY]
    assert sorted(names) == sorted(BAD) and len(set(names)) == len(names)
    assert all(c.paper and c.where and c.statement.endswith(".") for c in claims.REGISTRY)


@pytest.mark.parametrize("name", sorted(BAD))
def test_claim_passes_on_good_evidence(name):
    r = _result(good(), name)
    assert r["passed"] and np.isfinite(r["measured"]), r.to_dict()


@pytest.mark.parametrize("name", sorted(BAD))
def test_claim_fails_on_bad_evidence(name):
    r = _result(BAD[name](good()), name)
    assert not r["passed"], r.to_dict()


def test_missing_evidence_fails_with_a_reason_instead_of_crashing():
    ev = good()
    ev.summaries["completion"] = {}
    r = _result(ev, "movielens_rmse")
    assert not r["passed"] and "cannot evaluate" in r["detail"]


def test_outputs_table_markdown_counts_and_readme(tmp_path):
    ev = good()
    paths = {}
    for study, df in ev.tables.items():
        (tmp_path / study).mkdir()
        from lowdim import tables
        full = df.assign(study=study, step_unit="iteration", git_rev="x", params_hash="y" * 12,
                         lowdim_version="0")[list(tables.SCHEMA)]
        paths[study] = tmp_path / study / "metrics.parquet"
        full.to_parquet(paths[study])
    import json
    sums = []
    for study in ("collapse", "dln", "completion", "adapt"):
        p = tmp_path / f"{study}.json"
        p.write_text(json.dumps(ev.summaries.get(study, {})))
        sums.append(str(p))
    out = tmp_path / "out"
    claims.score([str(p) for p in paths.values()], sums, THRESHOLDS, str(out) + ".parquet", str(out) + ".md",
                 str(tmp_path / "claims.json"))
    counts = json.loads((tmp_path / "claims.json").read_text())
    assert counts["all"] == {"passed": len(BAD), "total": len(BAD)}
    md = (tmp_path / "out.md").read_text()
    assert md.count("\n| **") == len(BAD) and f"{len(BAD)} of {len(BAD)} claims hold" in md
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{claims.START}\nstale table\n{claims.END}\nrest\n")
    claims.readme(str(out) + ".md", str(readme))
    text = readme.read_text()
    assert "stale table" not in text and "claims hold" in text and text.endswith("rest\n")
