"""Typed parameters: one frozen dataclass per concern, each field with its default and a one-line help.

This module is where defaults live. ``params.yaml`` (the embedded scale) and the overlays in
``workflow/configs/`` set values; a key they leave out takes the default here, so a params file
written before a key was added stays valid (:func:`complete`, called by ``lowdim.config.load`` and
by the Snakefile before validation). The JSON schema (``workflow/schemas/params.schema.yaml``)
checks ranges and names the offending key; ``tests/test_specs.py`` keeps both in step, key for key.

Steps receive their parameters as these objects: the CLI builds them from the JSON a rule passes
(:func:`build`), so a study function reads ``spec.train.epochs``, with types and help one jump away.
``lowdim.specs.params`` holds the blocks of params.yaml, ``lowdim.specs.jobs`` the specs of single steps.
"""

from __future__ import annotations

from typing import Mapping

from lowdim.specs import base
from lowdim.specs.base import as_dict, build, convert, param
from lowdim.specs.jobs import *  # noqa: F401,F403
from lowdim.specs.params import *  # noqa: F401,F403
from lowdim.specs.params import Params


def complete(data: Mapping, cls: type = Params) -> dict:
    """``data`` (a parsed params file) with every missing key filled in from the defaults."""
    return base.complete(data, cls)


def help_text(cls: type = Params) -> list[str]:
    """``dotted.key: help (default ...)`` for every leaf parameter."""
    return base.help_text(cls)


__all__ = ["Params", "as_dict", "build", "complete", "convert", "help_text", "param"]
