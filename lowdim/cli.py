"""``python -m lowdim <group> <step> --arg value ...``: the one entry point Snakemake rules call.

Each step is a plain function; its keyword arguments become ``--options`` (typed specs from
``lowdim.specs`` and ``dict`` arguments take JSON, ``list`` arguments take several values). Every lowdim failure prints
as one line, ``lowdim: error: ...``, and exits with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import json
import sys
import time
import types
import typing
from typing import Callable

from lowdim.errors import LowdimError


#: the groups that are not studies: group -> step -> "module:function"
CORE: dict[str, dict[str, str]] = {
    "params": {"check": "lowdim.steps:check_params", "schema": "lowdim.specs.schema:write"},
    "data": {"prepare": "lowdim.steps:prepare_data", "list": "lowdim.steps:list_data"},
    "claims": {"score": "lowdim.claims.scorecard:score", "readme": "lowdim.claims.report:readme"},
    "dvc": {"yaml": "lowdim.dvc:write_yaml", "sync": "lowdim.dvc:sync"},
    "docs": {"build": "lowdim.docs:build", "figures": "lowdim.docs:figures"},
    "rehearsal": {"stage": "lowdim.rehearsal.standins:stage", "cost": "lowdim.rehearsal.cost:cost",
                  "readme": "lowdim.rehearsal.cost:readme"},
}


def commands() -> dict[str, dict[str, str]]:
    """group -> step -> "module:function": the core groups and each registered study's STEPS (lowdim.studies);
    a step imports only its own module (torch, transformers, umap and sklearn load only where a step uses them)."""
    from lowdim.studies import STUDIES, steps

    return {"params": CORE["params"], "data": CORE["data"], **{s: steps(s) for s in STUDIES},
            **{g: CORE[g] for g in ("claims", "dvc", "docs", "rehearsal")}}


COMMANDS = commands()


def resolve(target: str) -> Callable:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def _add_function(parser: argparse.ArgumentParser, fn: Callable) -> None:
    hints = typing.get_type_hints(fn)
    for name, p in inspect.signature(fn).parameters.items():
        hint = hints.get(name, str)
        if typing.get_origin(hint) in (typing.Union, types.UnionType):  # Optional[X] / X | None: its X
            hint = next(a for a in typing.get_args(hint) if a is not type(None))
        origin = typing.get_origin(hint)
        kwargs: dict = {"required": p.default is inspect.Parameter.empty, "dest": name}
        if p.default is not inspect.Parameter.empty:
            kwargs["default"] = p.default
        if dataclasses.is_dataclass(hint) or (origin is dict and dataclasses.is_dataclass(typing.get_args(hint)[1])):
            kwargs["type"] = _typed(hint)  # a typed spec (lowdim.specs), built from the rule's JSON
            kwargs["metavar"] = "JSON"
        elif hint is dict or origin is dict:
            kwargs["type"] = json.loads
        elif hint is list or origin is list:
            kwargs["nargs"] = "*"
        elif hint is bool and p.default is False:  # a flag
            kwargs["action"] = "store_true"
        elif hint is bool:
            kwargs["type"] = lambda s: s.lower() in ("1", "true", "yes")
        elif hint in (int, float):
            kwargs["type"] = hint
        parser.add_argument(f"--{name.replace('_', '-')}", **kwargs)


def _typed(hint) -> Callable[[str], object]:
    from lowdim.specs import convert

    def parse(text: str):
        return convert(hint, json.loads(text))

    parse.__name__ = getattr(hint, "__name__", "spec")  # argparse names it in errors
    return parse


def _group_help(group: str) -> str | None:
    """A study's one-line description (its package docstring), or what a core group does."""
    from lowdim.studies import STUDIES, study

    if group in STUDIES:
        return (study(group).__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return {"params": "check the parameters; write their JSON schema", "data": "prepare and list datasets",
            "claims": "the reproduction scorecard", "dvc": "dvc.yaml and dvc.lock", "docs": "the generated parts of docs/"}.get(group)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The CLI; only the step named in ``argv`` (group, step) is imported and gets its options."""
    words = [a for a in (sys.argv[1:] if argv is None else argv) if not a.startswith("-")][:2]
    parser = argparse.ArgumentParser(prog="python -m lowdim", description=__doc__.splitlines()[0])
    groups = parser.add_subparsers(dest="group", required=True)
    for group, steps in COMMANDS.items():
        sub = groups.add_parser(group, help=_group_help(group)).add_subparsers(dest="step", required=True)
        for step, target in steps.items():
            if words == [group, step]:
                fn = resolve(target)
                p = sub.add_parser(step, help=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else None,
                                   description=(fn.__doc__ or "").strip() or None)
                _add_function(p, fn)
                p.set_defaults(_fn=fn)
            else:
                sub.add_parser(step, help=target.split(":")[0].rsplit(".", 1)[-1])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser(argv).parse_args(argv))
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
