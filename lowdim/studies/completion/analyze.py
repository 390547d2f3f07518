"""The completion study's table, summary (DVC metrics) and test-error-vs-width curves (DVC plots)."""

from __future__ import annotations

import json

from lowdim import tables
from lowdim.io import write_atomic, write_json
from lowdim.studies.completion import depth_width_job, depth_width_of


def final_values(df, experiment: str, metric: str):
    """Each (model, seed)'s value of ``metric`` at its last recorded step."""
    sub = df[(df["experiment"] == experiment) & (df["metric"] == metric)]
    return sub.sort_values("step").groupby(["model", "seed"])["value"].last().reset_index()


def aggregate(inputs: list, speed_summary: str, movielens_summary: str, table_out: str, summary_out: str,
              curves_out: str) -> None:
    df = tables.concat(inputs)
    tables.write(df, table_out)
    final = final_values(df, "depth_width", "test_error")
    final[["depth", "width"]] = [depth_width_of(m) for m in final["model"]]
    curves = (final.groupby(["depth", "width"])["value"].agg(["mean", "min", "max"]).reset_index()
              .rename(columns={"mean": "test_error", "min": "test_error_min", "max": "test_error_max"}))
    write_atomic(curves_out, lambda tmp: curves.to_csv(tmp, index=False, float_format="%.6g"))
    steps = df[(df["experiment"] == "depth_width")].groupby("model")["step"].max()
    summary: dict = {"depth_width": {
        depth_width_job(int(r.depth), int(r.width)): {"test_error": float(r.test_error),
                                                     "iterations": int(steps[depth_width_job(int(r.depth), int(r.width))])}
        for r in curves.itertuples()}}
    for name, path in (("speed", speed_summary), ("movielens", movielens_summary)):
        with open(path) as f:
            summary[name] = json.load(f)
    write_json(summary_out, summary)
