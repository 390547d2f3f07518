"""params.yaml validation: every bad value fails at once, in one line naming the key."""

from __future__ import annotations

import copy
import dataclasses

import pytest
import yaml

from lowdim import config, specs
from lowdim.errors import ParamsError
from lowdim.specs.base import nested, param
from lowdim.studies.collapse.params import Collapse as CollapseParams, CollapseModel, CollapseRun, CollapseTrain

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
    (("collapse.models.mlp.datasets", ["cifar10"]), ["collapse.models.mlp.datasets", "cifar10", "not in collapse.datasets"]),
    (("collapse.models.mlp.epochs", 0), ["collapse.models.mlp.epochs", ">= 1"]),
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
    assert loaded["collapse"]["models"]["hybrid"]["schedule"] == CollapseModel().schedule  # a field default
    assert specs.build(specs.Params, loaded).adapt.early_step == defaults.adapt.early_step


@dataclasses.dataclass(frozen=True)
class Inner:
    n: int = param(3, "a count", minimum=1, maximum=10)


@dataclasses.dataclass(frozen=True)
class Toy:
    kind: str = param("a", "which", enum=["a", "b"])
    seeds: tuple[int, ...] = param((0,), "seeds", min_items=1, unique_items=True, items={"minimum": 0})
    lrs: dict[str, float] = param({"gd": 0.1}, "lr per optimizer", values={"exclusive_minimum": 0})
    scale: float | None = param(None, "optional")
    inner: Inner = nested(Inner, "a block")


def test_every_field_has_help_and_the_schema_is_generated_from_the_fields():
    """One description per parameter: the schema's descriptions are the dataclasses' helps, its constraints the
    fields' keywords; a toy dataclass shows the translation (types, ranges, choices, list and mapping constraints)."""
    import jsonschema

    from lowdim.specs.schema import of_dataclass

    s = of_dataclass(Toy)
    assert s["properties"]["kind"] == {"description": "which", "enum": ["a", "b"]}
    assert s["properties"]["seeds"] == {"description": "seeds", "type": "array", "items": {"type": "integer", "minimum": 0},
                                        "minItems": 1, "uniqueItems": True}
    assert s["properties"]["scale"]["type"] == ["number", "null"] and s["required"] == ["kind", "seeds", "lrs", "scale", "inner"]
    good = {"kind": "b", "seeds": [0, 1], "lrs": {"adam": 1e-3}, "scale": None, "inner": {"n": 10}}
    jsonschema.validate(good, s)
    for bad in ({"kind": "c"}, {"seeds": []}, {"seeds": [1, 1]}, {"seeds": [-1]}, {"lrs": {"gd": 0}}, {"scale": "x"},
                {"inner": {"n": 11}}, {"inner": {"n": 3, "m": 1}}, {"extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**good, **bad}, s)

    def helps(cls, prefix=""):
        import typing

        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            assert f.metadata.get("help"), f"{prefix}{f.name} has no help"
            hint = typing.get_args(hints[f.name])[1] if typing.get_origin(hints[f.name]) is dict else hints[f.name]
            if dataclasses.is_dataclass(hint):
                helps(hint, f"{prefix}{f.name}.")

    helps(specs.Params)
    assert config.load_schema()["properties"]["collapse"]["properties"]["seeds"]["description"] == \
        dataclasses.fields(CollapseParams)[1].metadata["help"]


def test_a_missing_key_and_a_bad_key_in_a_spec():
    with pytest.raises(ValueError, match="no field 'epoch'"):
        specs.build(CollapseTrain, {"epoch": 3})
    spec = specs.build(CollapseRun, {"train": {"epochs": 3}, "classes": [0, 1]})
    assert spec.train.epochs == 3 and spec.train.batch_size == CollapseTrain().batch_size and spec.classes == (0, 1)


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


def test_a_model_trains_on_its_own_datasets_for_its_own_epochs():
    from lowdim.studies import collapse

    params = mutate("collapse.models.hybrid.datasets", ["mnist1d"])
    params["collapse"]["models"]["hybrid"]["epochs"] = 7
    config.validate(params)
    runs = collapse.runs(params["collapse"])
    assert "mnist1d/hybrid-standard/s0" in runs and "mnist5k/hybrid-standard/s0" not in runs
    assert "mnist5k/mlp-standard/s0" in runs and "mnist1d/mlp-normalized/s0" in runs
    assert "mnist5k/hybrid-transfer/s0" not in collapse.transfer_runs(params["collapse"])
    hybrid, mlp = collapse.train_spec(params, "hybrid", "standard"), collapse.train_spec(params, "mlp", "standard")
    assert hybrid["train"]["epochs"] == 7 and mlp["train"]["epochs"] == params["collapse"]["train"]["epochs"]
    assert "datasets" not in hybrid["model"] and "epochs" not in hybrid["model"]
    # a model left at its defaults trains exactly as before the keys existed (same spec, same params hash)
    assert mlp == collapse.train_spec(BASE, "mlp", "standard")
    params["collapse"]["models"]["mlp"]["datasets"] = ["mnist1d"]
    with pytest.raises(ParamsError, match="collapse.datasets has mnist5k but no model"):
        config.validate(params)
