"""The command line: every step resolves, and a step imports only what it runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lowdim import cli


@pytest.mark.parametrize("group,step", [(g, s) for g, steps in cli.COMMANDS.items() for s in steps])
def test_every_step_resolves_to_a_function_with_options(group, step):
    assert callable(cli.resolve(cli.COMMANDS[group][step]))
    cli.build_parser([group, step])  # every annotation resolves (typed specs included)


def test_importing_the_cli_or_checking_params_loads_no_heavy_library():
    code = ("import sys; from lowdim import cli; cli.build_parser(['params', 'check']);"
            "print(' '.join(m for m in ('torch', 'transformers', 'umap', 'sklearn', 'scipy.stats') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == ""


def test_a_step_gets_its_own_options_only():
    args = cli.build_parser(["dln", "aggregate"]).parse_args(
        ["dln", "aggregate", "--inputs", "a", "b", "--compressed-summary", "c", "--table-out", "t", "--summary-out", "s",
         "--curves-out", "u"])
    assert args.inputs == ["a", "b"] and args._fn.__name__ == "aggregate"


@pytest.mark.parametrize("group,step", [("dln", "aggregate"), ("collapse", "aggregate"), ("collapse", "figure-layerwise"),
                                        ("completion", "figure-speed"), ("rhm", "aggregate"), ("claims", "score")])
def test_analysis_steps_start_without_torch(group, step):
    """Steps that only read tables must not pay torch's ~2 s import at start-up."""
    code = f"import sys; from lowdim import cli; cli.build_parser({[group, step]!r}); print('torch' in sys.modules)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False"
