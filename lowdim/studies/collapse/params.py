"""The ``collapse`` block of params.yaml and the specs of the study's single steps (what one rule passes;
the CLI builds them from its JSON). Ranges and choices live on each field (``lowdim.specs.schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from lowdim.errors import ParamsError
from lowdim.specs.base import nested, param


#: the datasets the study can train on (names from lowdim.data's registry)
DATASETS = ('mnist5k', 'digits', 'mnist1d', 'gaussian_mixture', 'mnist', 'fashion_mnist', 'cifar10', 'cifar10_jpeg')


#: keys of collapse.models.<name> that say where and how long a model trains, not what it is (the run's train block
#: carries its epochs and milestones)
NOT_NETWORK = ("heads", "fit_from", "datasets", "epochs", "milestones")
#: keys left out of a run's model spec while at these defaults: a model that does not set them keeps its spec and hash
QUIET_DEFAULTS = {"per_class": None, "unit_rows": False}


def network_spec(model: Mapping) -> dict:
    """The part of a model spec (params ``collapse.models.<name>``) a training run's ``model`` holds."""
    return {k: v for k, v in model.items()
            if k not in NOT_NETWORK and not (k in QUIET_DEFAULTS and v == QUIET_DEFAULTS[k])}


def trains_on(model: Mapping, dataset: str) -> bool:
    """Whether a model spec (params ``collapse.models.<name>``) trains on ``dataset``: its ``datasets``, or every one."""
    return not model.get("datasets") or dataset in model["datasets"]


@dataclass(frozen=True)
class CollapseModel:
    arch: str = param('mlp', 'backbone architecture', enum=['mlp', 'hybrid', 'vgg', 'resnet18'])
    depth: int = param(4, 'hidden layers (mlp), ReLU layers (hybrid), conv stages (vgg); unused by resnet18', minimum=0, maximum=64)
    width: int = param(256, 'hidden width (mlp, hybrid), base channels (vgg); unused by resnet18', minimum=1, maximum=65536)
    linear_depth: int = param(0, 'linear layers after the ReLU layers (hybrid only; 0 otherwise)', minimum=0, maximum=64)
    batch_norm: bool = param(True, 'batch norm after each hidden layer / conv')
    loss: str = param('ce', 'ce: cross-entropy, or mse: MSE to one-hot targets (hybrid nets of Wang et al.)', enum=['ce', 'mse'])
    lr: float = param(0.05, 'initial learning rate of this model', exclusive_minimum=0, maximum=100)
    weight_decay: float = param(0.0, 'L2 weight decay of the optimizer on every parameter', minimum=0, maximum=1)
    feature_decay: float = param(0.0001, 'standard head only: decay/2 (|W|^2 + sum_batch |h|^2) added to the loss (Yaras et al. 2022)', minimum=0, maximum=1)
    init_scale: float | None = param(None, "null: PyTorch's default init; a number: every linear weight orthogonal times it (Wang et al.: 0.1)", exclusive_minimum=0, maximum=10)
    output_scale: float = param(1.0, 'the loss sees output_scale * logits (Wang et al.: 100)', exclusive_minimum=0, maximum=100000)
    head_bias: bool = param(True, "standard head with a bias (Wang et al.'s head has none)")
    schedule: str = param('step', 'step: lr x0.1 at train.milestones (Papyan et al.); cosine: to lr * train.lr_min_ratio (Wang et al.)', enum=['step', 'cosine'])
    heads: tuple[str, ...] = param(('standard', 'normalized'), 'Heads this model is trained with: standard linear, or normalized (features and rows on the unit sphere).', min_items=1, unique_items=True, items={'enum': ['standard', 'normalized']})
    fit_from: int = param(2, 'first layer of the across-layer fits (Wang et al. claim the geometric pattern for later layers)', minimum=0, maximum=128)
    datasets: tuple[str, ...] | None = param(None, 'the datasets of collapse.datasets this model trains on (null: every one)', min_items=1, unique_items=True, items={'enum': list(DATASETS)})
    epochs: int | None = param(None, 'training epochs of this model (null: collapse.train.epochs)', minimum=1, maximum=100000)
    milestones: tuple[float, ...] | None = param(None, 'step schedule of this model: lr x0.1 at these fractions of its epochs (null: collapse.train.milestones)', items={'exclusive_minimum': 0, 'exclusive_maximum': 1})
    per_class: int | None = param(None, 'train on the first n images a class of the prepared training split (null: all of it); the test split is kept whole', minimum=1, maximum=1000000)
    unit_rows: bool = param(False, 'standard head: classifier rows projected back onto the unit sphere after every step, as cjyaras/normalized-neural-collapse does in its regularized runs too (the normalized head always does)')


@dataclass(frozen=True)
class CollapseTrain:
    epochs: int = param(60, 'training epochs', minimum=1, maximum=100000)
    batch_size: int = param(128, 'minibatch size', minimum=1, maximum=1000000)
    optimizer: str = param('sgd', 'optimizer (sgd: SGD with momentum, as the papers)', enum=['sgd', 'adam'])
    momentum: float = param(0.9, 'SGD momentum', minimum=0, exclusive_maximum=1)
    milestones: tuple[float, ...] = param((0.333, 0.667), 'step schedule: lr x0.1 at these fractions of the epochs (Papyan et al.: 1/3 and 2/3)', items={'exclusive_minimum': 0, 'exclusive_maximum': 1})
    lr_min_ratio: float = param(0.01, 'cosine schedule: final lr = lr x this', minimum=0, maximum=1)
    checkpoint_every: int = param(10, 'epochs between checkpoints', minimum=1)
    eval_every: int = param(5, 'epochs between NC1-NC4 / accuracy measurements', minimum=1)


@dataclass(frozen=True)
class CollapseFeatures:
    batch_size: int = param(1000, 'batch size of the streaming feature pass', minimum=1)
    max_gram_dim: int = param(4096, 'layers up to this width get a numerical rank (d x d Gram); wider conv maps are pooled for probes', minimum=0, maximum=16384)


@dataclass(frozen=True)
class CollapseUmap:
    samples: int = param(1000, 'training samples embedded', minimum=20, maximum=100000)
    layers: int = param(3, 'number of layers shown (evenly spaced, last included)', minimum=1, maximum=16)
    neighbors: int = param(15, 'UMAP n_neighbors', minimum=2, maximum=200)


@dataclass(frozen=True)
class CollapseTransfer:
    source_classes: tuple[int, ...] = param((0, 1, 2, 3, 4), 'Classes the transfer models train on; their layers are probed on the remaining classes.', min_items=2, unique_items=True, items={'minimum': 0})


@dataclass(frozen=True)
class Collapse:
    """The neural-collapse study (Papyan et al. 2020; Yaras et al. 2022; Wang et al. 2023)."""

    datasets: tuple[str, ...] = param(('mnist5k', 'mnist1d'), "Datasets to train on (names from lowdim.data's registry).", min_items=1, unique_items=True, items={'enum': list(DATASETS)})
    seeds: tuple[int, ...] = param((0,), 'Training seeds; each (dataset, model, head, seed) is one run.', min_items=1, unique_items=True, items={'minimum': 0})
    models: dict[str, CollapseModel] = param(
        {"mlp": CollapseModel(unit_rows=True),
         "hybrid": CollapseModel(arch="hybrid", depth=3, width=256, linear_depth=4, loss="mse", lr=1.0e-3, weight_decay=1.0e-4,
                                 feature_decay=0.0, init_scale=0.1, output_scale=100.0, head_bias=False, schedule="cosine",
                                 heads=("standard",), fit_from=2)},
        "Named model specs; each is trained on every dataset of collapse.datasets, or on those of its own datasets (names are lowercase words).", min_properties=1, property_names={'pattern': '^[a-z0-9_]+$'})
    temperature: float = param(1.0, 'Temperature of the normalized head (logits = cos / temperature + bias).', exclusive_minimum=0, maximum=10)
    train: CollapseTrain = nested(CollapseTrain, 'the training loop shared by every model')
    features: CollapseFeatures = nested(CollapseFeatures, 'the streaming feature pass')
    umap: CollapseUmap = nested(CollapseUmap, 'the UMAP figure')
    transfer: CollapseTransfer = nested(CollapseTransfer, 'the transfer experiment (train on some classes, probe the others)')


@dataclass(frozen=True)
class CollapseRun:
    """A collapse run's training recipe (``lowdim.studies.collapse.experiments_spec``), plus the feature /
    UMAP settings for the steps that read features."""
    device: str = param("auto", "auto | cpu | cuda")
    model: CollapseModel = nested(CollapseModel, "the model spec (params collapse.models.<name>)")
    head: str = param("standard", "standard | normalized (a transfer run trains a standard head)")
    temperature: float = param(1.0, "normalized head: logits = cos / temperature")
    train: CollapseTrain = nested(CollapseTrain, "params collapse.train")
    classes: tuple[int, ...] | None = param(None, "train on these classes only (transfer runs); null: all")
    features: CollapseFeatures = nested(CollapseFeatures, "params collapse.features")
    umap: CollapseUmap = nested(CollapseUmap, "params collapse.umap")


def check(params: Mapping) -> None:
    """Rules between keys of the collapse block that the schema cannot express (``lowdim.config.validate`` calls it)."""
    from lowdim.config import IMAGE_DATASETS

    c = params["collapse"]
    for name, m in c["models"].items():
        flat = [d for d in c["datasets"] if d not in IMAGE_DATASETS and trains_on(m, d)]
        if m["arch"] in ("vgg", "resnet18") and flat:
            raise ParamsError(
                f"params: collapse.models.{name}.arch = \"{m['arch']}\" needs image data but it trains on "
                f"{', '.join(flat)}: use mlp/hybrid, image datasets ({', '.join(IMAGE_DATASETS)}) or the model's datasets"
            )
    for name, m in c["models"].items():
        unknown = [d for d in (m.get("datasets") or ()) if d not in c["datasets"]]
        if unknown:
            raise ParamsError(f"params: collapse.models.{name}.datasets has {', '.join(unknown)}, not in collapse.datasets "
                              f"({', '.join(c['datasets'])}): add it there or remove it here")
    for d in c["datasets"]:
        if not any(trains_on(m, d) for m in c["models"].values()):
            raise ParamsError(f"params: collapse.datasets has {d} but no model of collapse.models trains on it: "
                              "list it in a model's datasets or set that model's datasets to null")
    classes = min(params["data"]["gaussian_mixture"]["classes"] if d == "gaussian_mixture" else 10 for d in c["datasets"])
    src = c["transfer"]["source_classes"]
    if max(src) >= classes or classes - len(src) < 2:
        raise ParamsError(
            f"params: collapse.transfer.source_classes = {src} is not allowed: must be classes below {classes} "
            "that leave at least 2 classes out for the probe"
        )


#: The study at test scale (tests/conftest.py): a params overlay on which every one of its rules runs, in seconds,
#: on 2 CPU cores.
TINY = {"collapse": {
        "datasets": ["digits"],
        "seeds": [0],
        "models": {"mlp": {"arch": "mlp", "depth": 2, "width": 32, "linear_depth": 0, "batch_norm": False,
                           "loss": "ce", "lr": 0.05, "weight_decay": 5.0e-4, "feature_decay": 0.0, "init_scale": None,
                           "output_scale": 1.0, "head_bias": True, "schedule": "step", "heads": ["standard"],
                           "fit_from": 1}},
        "train": {"epochs": 4, "batch_size": 64, "optimizer": "sgd", "momentum": 0.9, "milestones": [0.5],
                  "lr_min_ratio": 0.01, "checkpoint_every": 2, "eval_every": 2},
        "features": {"batch_size": 500, "max_gram_dim": 4096},
        "umap": {"samples": 200, "layers": 2, "neighbors": 10},
    }}
