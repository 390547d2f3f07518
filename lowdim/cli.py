"""``python -m lowdim <group> <step> --arg value ...``: the one entry point Snakemake rules call.

Each step is a plain function; its keyword arguments become ``--options`` (``dict``
arguments take JSON, ``list`` arguments take several values). Every lowdim failure prints
as one line, ``lowdim: error: ...``, and exits with status 2.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
import typing
from typing import Callable

from lowdim.errors import LowdimError


def _commands() -> dict[str, dict[str, Callable]]:
    from lowdim import claims, dvc, steps
    from lowdim.studies.collapse import analyze, figures, train
    from lowdim.studies.adapt import analyze as ad_analyze, figures as ad_figures, finetune
    from lowdim.studies.completion import analyze as mc_analyze, experiments as mc, figures as mc_figures
    from lowdim.studies.dln import analyze as dln_analyze, figures as dln_figures, parsimony, progressive

    return {
        "params": {"check": steps.check_params},
        "data": {"prepare": steps.prepare_data, "list": steps.list_data},
        "collapse": {
            "train": train.train, "features": analyze.features, "metrics": analyze.metrics,
            "transfer": analyze.transfer, "aggregate": analyze.aggregate,
            "figure-training": figures.training, "figure-layerwise": figures.layerwise,
            "figure-umap": figures.umap, "figure-transfer": figures.transfer,
        },
        "dln": {
            "progressive": progressive.progressive, "invariant": parsimony.invariant,
            "compressed": parsimony.compressed, "aggregate": dln_analyze.aggregate,
            "figure-progressive": dln_figures.progressive, "figure-spectra": dln_figures.spectra,
            "figure-trajectories": dln_figures.trajectories,
        },
        "completion": {
            "depth-width": mc.depth_width, "speed": mc.speed, "movielens": mc.movielens,
            "aggregate": mc_analyze.aggregate, "figure-width": mc_figures.width, "figure-speed": mc_figures.speed,
            "figure-movielens": mc_figures.movielens,
        },
        "adapt": {
            "finetune": finetune.finetune, "aggregate": ad_analyze.aggregate, "figure-samples": ad_figures.samples,
            "figure-ranks": ad_figures.ranks, "figure-curves": ad_figures.curves, "figure-spectra": ad_figures.spectra,
        },
        "claims": {"score": claims.score, "readme": claims.readme},
        "dvc": {"sync": dvc.sync},
    }


def _add_function(parser: argparse.ArgumentParser, fn: Callable) -> None:
    hints = typing.get_type_hints(fn)
    for name, p in inspect.signature(fn).parameters.items():
        hint = hints.get(name, str)
        origin = typing.get_origin(hint)
        kwargs: dict = {"required": p.default is inspect.Parameter.empty, "dest": name}
        if p.default is not inspect.Parameter.empty:
            kwargs["default"] = p.default
        if hint is dict or origin is dict:
            kwargs["type"] = json.loads
        elif hint is list or origin is list:
            kwargs["nargs"] = "*"
        elif hint is bool:
            kwargs["type"] = lambda s: s.lower() in ("1", "true", "yes")
        elif hint in (int, float):
            kwargs["type"] = hint
        parser.add_argument(f"--{name.replace('_', '-')}", **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m lowdim", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(dest="group", required=True)
    for group, steps in _commands().items():
        sub = groups.add_parser(group).add_subparsers(dest="step", required=True)
        for step, fn in steps.items():
            p = sub.add_parser(step, help=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else None)
            _add_function(p, fn)
            p.set_defaults(_fn=fn)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    fn = args.pop("_fn")
    label = f"{args.pop('group')} {args.pop('step')}"
    start = time.perf_counter()
    try:
        fn(**args)
    except LowdimError as e:
        print(f"lowdim: error: {e}", file=sys.stderr)
        return 2
    print(f"[lowdim] {label} finished in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0
