"""params.yaml validation: every bad value fails at once, in one line naming the key."""

from __future__ import annotations

import copy

import pytest
import yaml

from lowdim import config, specs
from lowdim.errors import ParamsError

from conftest import ROOT, make_project, run

BASE = yaml.safe_load((ROOT / "params.yaml").read_text())


def mutate(path: str, value=None, delete: bool = False) -> dict:
    params = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = params
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if delete:
        del node[last]
    else:
        node[last] = value
    return params


# (mutation, text the one-line error must contain)
MUTATIONS = [
    (("collapse.models.mlp.lr", -0.1), ["collapse.models.mlp.lr", "> 0"]),
    (("collapse.models.mlp.lr", "fast"), ["collapse.models.mlp.lr", "wrong type", "number"]),
    (("collapse.train.epochs", 2.5), ["collapse.train.epochs", "integer"]),
    (("collapse.train.epochs", 0), ["collapse.train.epochs", ">= 1"]),
    (("collapse.models.mlp.arch", "mpl"), ["collapse.models.mlp.arch", '"mpl"', '"mlp"', '"resnet18"']),
    (("collapse.models.mlp.arch", "vgg"), ["collapse.models.mlp.arch", "needs image data", "mnist1d"]),
    (("collapse.models.Big", {}), ["collapse.models.Big is not an allowed name", "^[a-z0-9_]+$"]),
    (("collapse.models.mlp.heads", ["normalised"]), ["collapse.models.mlp.heads[0]", '"normalized"']),
    (("collapse.models.hybrid.schedule", "linear"), ["collapse.models.hybrid.schedule", '"step"', '"cosine"']),
    (("collapse.models.hybrid.init_scale", 0), ["collapse.models.hybrid.init_scale", "> 0"]),
    (("dln.progressive.data.samples", 31), ["dln.progressive.data.samples", "multiple of", "classes"]),
    (("collapse.temperature", 0), ["collapse.temperature", "> 0"]),
    (("collapse.transfer.source_classes", [0, 1, 2, 3, 4, 5, 6, 7, 8]), ["collapse.transfer.source_classes", "at least 2"]),
    (("collapse.datasets", ["mnsit"]), ["collapse.datasets[0]", '"mnsit"', '"mnist5k"']),
    (("collapse.datasets", []), ["collapse.datasets", "at least 1"]),
    (("collapse.seeds", [0, 0]), ["collapse.seeds", "unique"]),
    (("collapse.train.trian", 3), ["unknown key collapse.train.trian", "epochs"]),
    (("colapse", {}), ["unknown key colapse", "collapse"]),
    (("device", "gpu"), ["device", '"gpu"', '"cuda"']),
    (("collapse.train.momentum", 1.0), ["collapse.train.momentum", "< 1"]),
    (("data.lowrank.observed", 1.5), ["data.lowrank.observed", "<= 1"]),
    (("data.lowrank.rank", 500), ["data.lowrank.rank", "data.lowrank.dim"]),
    (("resources.train.gpu", -1), ["resources.train.gpu", ">= 0"]),
    (("data.mirror", 3), ["data.mirror", "string or null"]),
    (("collapse.models.hybrid.batch_norm", "yes"), ["collapse.models.hybrid.batch_norm", "boolean"]),
    (("completion.depth_width.lr", [100.0]), ["completion.depth_width.lr", "one learning rate per depth"]),
    (("completion.speed.ranks", [5, 150]), ["completion.speed.ranks", "2 * rank", "completion.speed.dim"]),
    (("completion.depth_width.observed", 1.0), ["completion.depth_width.observed", "< 1"]),
    (("completion.movielens.width", "full"), ["completion.movielens.width", "integer", "null"]),
    (("completion.speed.gammas", []), ["completion.speed.gammas", "at least 1"]),
    (("adapt.methods", ["dora"]), ["adapt.methods[0]", '"dora"', '"deep_lora"']),
    (("adapt.targets", "mlp"), ["adapt.targets", '"qv"', '"attention_mlp"']),
    (("adapt.early_step", 225), ["adapt.early_step", "adapt.steps"]),
    (("adapt.lr", {"lora": 1e-4}), ["adapt.lr", "deep_lora"]),
    (("adapt.samples", [4]), ["adapt.samples", "adapt.batch_size"]),
    (("completion.depth_width.rank", 200), ["completion.depth_width.rank", "completion.depth_width.dim"]),
]


def test_default_params_are_valid():
    config.validate(BASE)


def test_paper_overlay_is_valid():
    config.load(ROOT / "params.yaml", ROOT / "workflow" / "configs" / "paper.yaml")


@pytest.mark.parametrize("mutation,expected", MUTATIONS, ids=[m[0][0] + "=" + repr(m[0][1]) for m in MUTATIONS])
def test_mutation_fails_with_one_line(mutation, expected):
    with pytest.raises(ParamsError) as err:
        config.validate(mutate(*mutation))
    msg = str(err.value)
    assert "\n" not in msg
    for part in expected:
        assert part in msg, msg


def test_an_older_params_file_missing_the_newest_keys_stays_valid(tmp_path):
    """Keys added after a params file was written take their defaults (lowdim.specs), here the
    newest of the collapse model recipe, the DLN convergence tolerance and a claim threshold."""
    old = mutate("collapse.models.mlp.fit_from", delete=True)
    for model in old["collapse"]["models"].values():
        for key in ("fit_from", "head_bias", "schedule"):
            model.pop(key, None)
    del old["dln"]["progressive"]["tol"], old["claims"]["transfer_layers"], old["adapt"]["early_step"]
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old))
    loaded = config.load(tmp_path / "old.yaml")
    defaults = specs.Params()
    assert loaded["dln"]["progressive"]["tol"] == defaults.dln.progressive.tol
    assert loaded["claims"]["transfer_layers"] == defaults.claims.transfer_layers
    assert loaded["collapse"]["models"]["hybrid"]["schedule"] == specs.CollapseModel().schedule  # a field default
    assert specs.build(specs.Params, loaded).adapt.early_step == defaults.adapt.early_step


def test_schema_and_specs_have_the_same_keys():
    """Every key the schema validates has a typed field with a default and help, and vice versa."""
    schema = config.load_schema()

    def keys(node, prefix=""):
        out = set()
        for k, sub in node.get("properties", {}).items():
            out.add(prefix + k)
            if sub.get("additionalProperties") is False:
                out |= keys(sub, f"{prefix}{k}.")
            elif isinstance(sub.get("additionalProperties"), dict) and "properties" in sub["additionalProperties"]:
                out |= keys(sub["additionalProperties"], f"{prefix}{k}.*.")
        return out

    def fields(cls, prefix=""):
        import dataclasses
        import typing

        out = set()
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{prefix}{f.name} has no help"
            out.add(prefix + f.name)
            hint = hints[f.name]
            if dataclasses.is_dataclass(hint):
                out |= fields(hint, f"{prefix}{f.name}.")
            elif typing.get_origin(hint) is dict and dataclasses.is_dataclass(typing.get_args(hint)[1]):
                out |= fields(typing.get_args(hint)[1], f"{prefix}{f.name}.*.")
        return out

    assert keys(schema) == fields(specs.Params)


def test_a_missing_key_and_a_bad_key_in_a_spec():
    with pytest.raises(ValueError, match="no field 'epoch'"):
        specs.build(specs.CollapseTrain, {"epoch": 3})
    spec = specs.build(specs.CollapseRun, {"train": {"epochs": 3}, "classes": [0, 1]})
    assert spec.train.epochs == 3 and spec.train.batch_size == specs.CollapseTrain().batch_size and spec.classes == (0, 1)


def test_snakemake_rejects_bad_params_before_any_job(tmp_path):
    """Through the real CLI: the run stops at parse time with the one-line message."""
    project = make_project(tmp_path / "p")
    res = run(["snakemake", "-n", "--cores", "1", "--config", "device=gpu"], cwd=project, check=False)
    assert res.returncode != 0
    lines = [ln for ln in (res.stderr + res.stdout).splitlines() if ln.startswith("lowdim: error:")]
    assert lines == ['lowdim: error: params: device = "gpu" is not allowed: must be one of "auto", "cpu", "cuda"']
    assert "Job stats" not in res.stdout + res.stderr


def test_spec_defaults_are_the_embedded_params():
    """The defaults in lowdim/specs are the embedded scale that params.yaml ships (no silent drift)."""
    defaults = specs.as_dict(specs.Params())
    for block, values in BASE.items():
        assert defaults[block] == values, f"lowdim/specs defaults for {block!r} differ from params.yaml"
