"""The study's three experiments; each writes a deterministic metrics table (and the timed ones
a separate timing table, since wall-clock differs between runs)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.registry import load
from lowdim.io import write_json
from lowdim.studies.completion import row
from lowdim.studies.completion.core import (Observations, als, compressed_chain, factor_predict, full_chain, narrow_chain,
                                            relative_error, rmse, synthetic, train_chain)
from lowdim.studies.completion.params import CompletionDepthWidthJob, CompletionMovielensJob, CompletionSpeedJob
from lowdim.train import pick_device, sweep


def _rows(experiment: str, model: str, dataset: str, seeds: list[int], history: list[dict],
          metrics: tuple[str, ...]) -> tuple[list[dict], list[dict]]:
    rows, timing = [], []
    for h in history:
        for i, seed in enumerate(seeds):
            for metric in metrics:
                rows.append(row(experiment, model, dataset, seed, h["step"], metric, h[metric][i]))
        timing.append(row(experiment, model, dataset, seeds[0], h["step"], "seconds", h["seconds"]))
    return rows, timing


def depth_width_sweep(spec: CompletionDepthWidthJob, jobs: list[str], outs: list[str], checkpoints: list[str]) -> None:
    """Every (depth, width) job of the sweep in this one process (:func:`depth_width` each)."""
    sweep(depth_width, spec, jobs, outs, checkpoints)


def depth_width(spec: CompletionDepthWidthJob, job: str, out: str, checkpoint: str) -> None:
    """Depth-L, width-w factorization on every seed's synthetic problem: test error over steps."""
    p = spec.depth_width
    depth, width = (int(x[1:]) for x in job.split("-"))
    lr = p.lr[p.depths.index(depth)]
    device = pick_device(spec.device)
    seeds = spec.seeds
    train, test = (o.to(device) for o in synthetic(p.dim, p.rank, p.observed, seeds))
    chain = full_chain(train.shape, width, depth, p.init_scale, seeds).to(device)
    history = train_chain(f"completion/depth_width/{job}", chain, train,
                          lambda c: {"test_error": relative_error(c.predict(test), test)},
                          lr, 1.0, p.max_steps, p.record_every, p.tol, Path(checkpoint), [spec, job])
    dataset = f"synthetic{p.dim}r{p.rank}p{p.observed}"
    rows, _ = _rows("depth_width", job, dataset, seeds, history, ("train_loss", "test_error"))
    # the seeds train in one batched program that stops when all are below tol; each seed's own
    # iterations are its first logged step below tol (1), or the last step when it never got there (0: censored)
    for i, seed in enumerate(seeds):
        first = next((h["step"] for h in history if h["train_loss"][i] < p.tol), None)
        rows.append(row("depth_width", job, dataset, seed, history[-1]["step"] if first is None else first,
                        "converged", float(first is not None)))
    tables.write(tables.frame(rows, params_hash(spec)), out)


def _reach(history: list[dict], metric: str, level: float) -> dict | None:
    """The first logged row at which the seed-mean of ``metric`` is at or below ``level`` (None if never)."""
    return next((h for h in history if float(np.mean(h[metric])) <= level), None)


def _time_to(history: list[dict], metric: str, level: float) -> float | None:
    """Training seconds until the seed-mean of ``metric`` first reaches ``level`` (None if never)."""
    h = _reach(history, metric, level)
    return None if h is None else h["seconds"]


def _methods_summary(histories: dict[str, list[dict]], metric: str, level: float, reference: str,
                     kinds: dict[str, dict] | None = None) -> dict:
    """Per run: its final and best ``metric``, its seconds, when it first reached ``level`` (``reached``: iterations
    and seconds, or None) and its speed-up over ``reference``; ``kinds``: per run, what it is (method, rank, gamma)."""
    summary: dict = {}
    for name, hist in histories.items():
        last, reached = hist[-1], _reach(hist, metric, level)
        summary[name] = {**(kinds or {}).get(name, {"method": name}), "iterations": int(last["step"]), f"final_{metric}": float(np.mean(last[metric])),
                         f"best_{metric}": float(min(np.mean(h[metric]) for h in hist)),
                         "seconds": float(last["seconds"]), "seconds_per_iteration": float(last["seconds"] / last["step"]),
                         f"seconds_to_{metric}_{level:g}": None if reached is None else reached["seconds"],
                         f"iterations_to_{metric}_{level:g}": None if reached is None else int(reached["step"]),
                         "reached": None if reached is None else {"metric": metric, "level": level,
                                                                   "iterations": int(reached["step"]), "seconds": reached["seconds"]}}
    ref = summary[reference][f"seconds_to_{metric}_{level:g}"]
    for name in histories:
        t = summary[name][f"seconds_to_{metric}_{level:g}"]
        summary[name][f"speedup_vs_{reference}"] = ref / t if ref is not None and t else None
    return summary


def speed(spec: CompletionSpeedJob, out: str, timing_out: str, summary_out: str, checkpoint_dir: str) -> None:
    """Full width vs compressed (per gamma and rank) vs narrow random vs shallow vs ALS, one
    synthetic setting, all seeds stacked; timed sequentially in this one job (fair wall-clock)."""
    p = spec.speed
    device = pick_device(spec.device)
    seeds, depth, d, eps = spec.seeds, p.depth, p.dim, p.init_scale
    train, test = (o.to(device) for o in synthetic(d, p.rank, p.observed, seeds))
    dataset = f"synthetic{d}r{p.rank}p{p.observed}"

    def evaluate(c):
        return {"test_error": relative_error(c.predict(test), test)}

    def run(name, chain, lr, gamma=1.0):
        return train_chain(f"completion/speed/{name}", chain, train, evaluate, lr, gamma, p.max_steps,
                           p.record_every, p.tol, Path(checkpoint_dir) / f"{name}.pt", [spec, name])

    full = full_chain(train.shape, d, depth, eps, seeds).to(device)
    histories, kinds = {}, {}
    for r_hat in p.ranks:
        for gamma in p.gammas:
            comp = compressed_chain(full, train, r_hat, eps)
            histories[f"compressed-r{r_hat}-g{gamma:g}"] = run(f"compressed-r{r_hat}-g{gamma:g}", comp, p.lr, gamma)
            kinds[f"compressed-r{r_hat}-g{gamma:g}"] = {"method": "compressed", "rank": r_hat, "gamma": gamma}
        narrow = narrow_chain(train.shape, 2 * r_hat, depth, eps, seeds).to(device)
        histories[f"narrow-r{r_hat}"] = run(f"narrow-r{r_hat}", narrow, p.lr)
        kinds[f"narrow-r{r_hat}"] = {"method": "narrow", "rank": r_hat}
    histories["full"] = run("full", full, p.lr)
    if p.shallow_lr is not None:  # the depth-2 full-width factorization (null: left out)
        histories["shallow"] = run("shallow", full_chain(train.shape, d, 2, eps, seeds).to(device), p.shallow_lr)

    def als_eval(a, b):
        return {"test_error": relative_error(factor_predict(a, b, test), test)}

    histories["als"] = als(train, als_eval, p.rank, p.als_ridge, p.als_iterations)
    rows, timing = [], []
    for name, hist in histories.items():
        r_, t_ = _rows("speed", name, dataset, seeds, hist, ("train_loss", "test_error"))
        rows += r_
        timing += t_
    tables.write(tables.frame(rows, params_hash(spec)), out)
    tables.write(tables.frame(timing, params_hash(spec)), timing_out)
    write_json(summary_out, _methods_summary(histories, "test_error", p.reach_error, "full", kinds))


def split_ratings(data: dict, test: float, seed: int) -> tuple[Observations, Observations, float]:
    """A fixed seeded split of the ratings; values centred by the training mean (returned)."""
    n = data["rating"].size
    perm = np.random.default_rng(seed).permutation(n)
    n_test = int(round(test * n))
    shape = (int(data["user"].max()) + 1, int(data["item"].max()) + 1)
    idx_train, idx_test = np.sort(perm[n_test:]), np.sort(perm[:n_test])
    mean = float(data["rating"][idx_train].mean())

    def obs(idx):
        return Observations.stack([(data["user"][idx], data["item"][idx], data["rating"][idx] - mean)], shape)

    return obs(idx_train), obs(idx_test), mean


def movielens(spec: CompletionMovielensJob, data_path: str, out: str, timing_out: str, summary_out: str, checkpoint_dir: str) -> None:
    """Deep full width vs deep compressed vs ALS on MovieLens-100K: test RMSE vs iterations/seconds,
    on ``splits`` seeded 80/20 splits (seeds split_seed, split_seed + 1, ...; a split's seed also
    seeds its init). The summary keeps the first split's numbers at the top level (the figure's) and
    every split's under ``splits``."""
    p = spec.movielens
    data = load(data_path)
    rows, timing, per_split = [], [], {}
    for seed in range(p.split_seed, p.split_seed + p.splits):
        r, t, per_split[str(seed)] = _movielens_split(spec, data, seed, Path(checkpoint_dir))
        rows += r
        timing += t
    tables.write(tables.frame(rows, params_hash(spec)), out)
    tables.write(tables.frame(timing, params_hash(spec)), timing_out)
    write_json(summary_out, {**per_split[str(p.split_seed)], "splits": per_split})


def _movielens_split(spec: CompletionMovielensJob, data: dict, seed: int, checkpoint_dir: Path) -> tuple[list, list, dict]:
    """One split of :func:`movielens`: its rows, timing rows and summary."""
    p = spec.movielens
    device = pick_device(spec.device)
    # float32: from init 0.1 the dynamics need no float64 (the synthetic runs from 1e-3 do), and the
    # full-width 943 x 1682 product costs half as much (184 -> 96 ms per step on 2 CPU cores)
    train, test, _ = (replace(x, values=x.values.float()).to(device) if isinstance(x, Observations) else x
                      for x in split_ratings(data, p.test_fraction, seed))
    width = p.width or min(train.shape)

    def evaluate(c):
        return {"test_rmse": rmse(c.predict(test), test), "train_rmse": rmse(c.predict(train), train)}

    def run(name, chain, gamma=1.0):
        return train_chain(f"completion/movielens/{name}/s{seed}", chain, train, evaluate, p.lr, gamma, p.max_steps,
                           p.record_every, 0.0, checkpoint_dir / f"s{seed}-{name}.pt", [spec, name, seed])

    full = full_chain(train.shape, width, p.depth, p.init_scale, [seed]).to(device=device, dtype=torch.float32)
    histories = {"compressed": run("compressed", compressed_chain(full, train, p.rank, p.init_scale), p.gamma),
                 "full": run("full", full)}

    def als_eval(a, b):
        return {"test_rmse": rmse(factor_predict(a, b, test), test), "train_rmse": rmse(factor_predict(a, b, train), train)}

    histories["als"] = als(train, als_eval, p.als_rank, p.als_ridge, p.als_iterations)
    rows, timing = [], []
    for name, hist in histories.items():
        r_, t_ = _rows("movielens", name, "movielens100k", [seed], hist, ("train_rmse", "test_rmse"))
        rows += r_
        timing += t_
    summary = _methods_summary(histories, "test_rmse", p.reach_rmse, "full")
    summary["_baseline_mean_rating_rmse"] = float(test.values.pow(2).mean().sqrt())
    return rows, timing, summary
