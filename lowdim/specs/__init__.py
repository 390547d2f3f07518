"""Typed parameters: one frozen dataclass per concern, each field with its default, a one-line help and its
range or choices (the one place a parameter is described).

This module is where defaults live. ``params.yaml`` (the embedded scale) and the overlays in
``workflow/configs/`` set values; a key they leave out takes the default here, so a params file
written before a key was added stays valid (:func:`complete`, called by ``lowdim.config.load`` and
by the Snakefile before validation). The JSON schema that checks ranges and names the offending key
is generated from the same fields (``lowdim.specs.schema``).

Steps receive their parameters as these objects: the CLI builds them from the JSON a rule passes
(:func:`build`), so a study function reads ``spec.train.epochs``, with types and help one jump away.
``lowdim.specs.params`` holds the shared blocks of params.yaml and assembles the whole file from the
study registry; each study's block and the specs of its single steps live in ``lowdim/studies/<study>/params.py``.
"""

from __future__ import annotations

from typing import Mapping

from lowdim.specs import base
from lowdim.specs.base import as_dict, build, convert, param
from lowdim.specs.params import *  # noqa: F401,F403
from lowdim.specs.params import params_class


def complete(data: Mapping, cls: type | None = None) -> dict:
    """``data`` (a parsed params file) with every missing key filled in from the defaults."""
    return base.complete(data, cls or params_class())


def generated_by() -> list[str]:
    """The keys of params ``data`` that configure a dataset's generator or reader (its blocks, not its switches)."""
    import dataclasses

    from lowdim.specs.params import Data

    return [f.name for f in dataclasses.fields(Data) if dataclasses.is_dataclass(f.default_factory)]


def help_text(cls: type | None = None) -> list[str]:
    """``dotted.key: help (default ...)`` for every leaf parameter."""
    return base.help_text(cls or params_class())


def __getattr__(name: str):
    if name == "Params":  # built on first use (lowdim.specs.params)
        return params_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Params", "as_dict", "build", "complete", "convert", "help_text", "param"]
