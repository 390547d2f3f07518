"""The neural-collapse study (Papyan et al. 2020; Yaras et al. NeurIPS 2022; Wang et al. 2023).

A run is one (dataset, model, head, seed). ``head`` is ``standard`` or ``normalized`` (features
and classifier rows on the unit sphere, temperature tau), or ``transfer``: a standard-head
model trained on ``transfer.source_classes`` only, whose layers are then probed on the other
classes. Steps (one Snakemake rule each): train -> features -> metrics (-> transfer) ->
aggregate -> four figures.
"""

from __future__ import annotations

from lowdim.studies.collapse.params import Collapse as PARAMS, check as check_params, network_spec, trains_on  # noqa: F401 - the collapse block of params.yaml and its rules

from typing import Mapping

STUDY = "collapse"

#: ``python -m lowdim collapse <step>``: step -> "module:function" within this package (its Snakemake rules call them)
STEPS = {
    "train": "experiments:train",
    "measure": "analyze:measure",
    "transfer": "analyze:transfer",
    "aggregate": "analyze:aggregate",
    "figure-training": "figures:training",
    "figure-layerwise": "figures:layerwise",
    "figure-umap": "figures:umap",
    "figure-transfer": "figures:transfer",
}

#: its DVC stage (dvc.yaml, written by ``python -m lowdim dvc yaml``): params keys besides ``collapse`` (``params``), the
#: keys choosing its datasets (``dataset_keys``, for the prepare stage) and its curves' axes (``plot``)
DVC = {"dataset_keys": ("collapse.datasets",), "plot": ("layer", "compression")}

RUN = "{dataset}/{model}-{head}/s{seed}"
TRAIN_HEADS = ("standard", "normalized")


def run_id(dataset: str, model: str, head: str, seed: int | str) -> str:
    return RUN.format(dataset=dataset, model=model, head=head, seed=seed)


def runs(cfg: Mapping) -> list[str]:
    """Every training run of the study config ``cfg`` (params ``collapse``): each model with its own heads, on its
    datasets."""
    return [run_id(d, m, h, s) for d in cfg["datasets"] for m, spec in cfg["models"].items() if trains_on(spec, d)
            for h in spec["heads"] for s in cfg["seeds"]]


def transfer_runs(cfg: Mapping) -> list[str]:
    return [run_id(d, m, "transfer", s) for d in cfg["datasets"] for m, spec in cfg["models"].items()
            if trains_on(spec, d) for s in cfg["seeds"]]


def umap_runs(cfg: Mapping) -> list[str]:
    """The runs whose features the UMAP figure shows: the first model (the figure step is built for its spec) on
    each dataset it trains on, its first head, the first seed."""
    name, spec = next(iter(cfg["models"].items()))
    return [run_id(d, name, spec["heads"][0], cfg["seeds"][0]) for d in cfg["datasets"] if trains_on(spec, d)]


def train_spec(params: Mapping, model: str, head: str) -> dict:
    """Everything a training run depends on besides (dataset, seed)."""
    cfg = params[STUDY]
    spec = cfg["models"][model]
    train = {**cfg["train"], **{k: spec[k] for k in ("epochs", "milestones") if spec.get(k)}}  # the model's own, if set
    return {
        "device": params["device"], "model": network_spec(spec), "head": "standard" if head == "transfer" else head,
        "temperature": cfg["temperature"], "train": train,
        "classes": cfg["transfer"]["source_classes"] if head == "transfer" else None,
    }


def features_spec(params: Mapping, model: str, head: str) -> dict:
    return {**train_spec(params, model, head), "features": params[STUDY]["features"]}


def parse_run(run: str) -> dict:
    """Inverse of :func:`run_id`: ``"mnist5k/mlp-standard/s0"`` -> its parts."""
    dataset, model_head, seed = run.split("/")
    model, head = model_head.rsplit("-", 1)
    return {"dataset": dataset, "model": model, "head": head, "seed": int(seed.lstrip("s"))}


def experiment(head: str, default: str) -> str:
    return "transfer" if head == "transfer" else default


def row(run: str, exp: str, step: int, layer: int | None, metric: str, value: float) -> dict:
    """One row of the study's long table."""
    r = parse_run(run)
    return {"study": STUDY, "experiment": experiment(r["head"], exp), "model": f"{r['model']}-{r['head']}",
            "dataset": r["dataset"], "seed": r["seed"], "step": step, "step_unit": "epoch", "layer": layer,
            "metric": metric, "value": value}


def datasets(params: dict) -> list[str]:
    """The datasets this study prepares (rule prepare_data): every dataset the study trains on."""
    return list(params[STUDY]["datasets"])
