"""What the paper scale costs, projected before anyone submits it.

Every paper job is a *family* of identical steps (an SGD step of a model at its paper shape, a
full-batch gradient step of a factor chain): the number of jobs and of steps per job follow from the
paper configuration (the same functions that build the DAG enumerate its runs), and one step of each
family is built with the project's own models at paper shape and measured here: its FLOPs (torch's
``FlopCounterMode``, forward and backward) and its seconds on this machine's CPU.

Projection, per family: CPU core-hours = jobs x steps x measured seconds x threads; GPU-hours on one
H100 = jobs x steps x max(FLOPs / (MFU x peak), a per-step floor), with

* peak: 989 TFLOP/s dense bf16 (the nets train in bf16 autocast on a GPU), 67 TFLOP/s fp64 tensor
  core for the float64 factor chains of the DLN and completion studies;
* MFU: a stated fraction (``--mfu``, default :data:`MFU`, and why): no GPU has measured it for this
  project yet; ``bench/gpu_check.py`` prints the measured one, to pass here;
* the floor (:data:`FLOOR_S`): a step of small kernels is bound by kernel launches and Python,
  not FLOPs (the width-50 DLNs).

Counts are upper bounds where a run stops at a tolerance (``tol``): its ``max_steps`` / ``epochs`` are
counted. Evaluation passes (NC metrics every ``eval_every`` epochs, dev correlations every
``eval_every`` steps, the feature pass) are counted as forward passes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from lowdim.io import write_atomic

#: dense peak TFLOP/s by a substring of torch.cuda.get_device_name(): bf16 tensor cores
PEAK_BF16 = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0, "4090": 165.0, "V100": 125.0}
#: fp64 (tensor core where there is one)
PEAK_FP64 = {"H200": 67.0, "H100": 67.0, "A100": 19.5, "L40S": 1.4, "A10": 1.0, "4090": 1.3, "V100": 7.8}
#: the assumed fraction of peak until a GPU measures it for these jobs (bench/gpu_check.py prints it): no
#: bench of this project has run on a GPU. ResNet-18-size convnets at batch 128 on 32 px images commonly
#: reach 10-20 % of a data-centre GPU's bf16 peak, BERT-base fine-tuning more; the projection takes 15 %.
MFU = 0.15
#: seconds per step below which no GPU step goes: an eager PyTorch training step of a small net launches
#: ~100 kernels (forward, backward, optimizer) at ~10 us each
FLOOR_S = 1e-3
#: paper datasets: (input shape, training images, test images)
IMAGE_SETS = {"mnist": ((1, 28, 28), 60_000, 10_000), "fashion_mnist": ((1, 28, 28), 60_000, 10_000),
              "cifar10": ((3, 32, 32), 50_000, 10_000), "cifar10_jpeg": ((3, 32, 32), 50_000, 10_000)}


#: where the probes run (``families(..., device=)``): the CPU for the projection, CUDA for bench/gpu_check.py
DEV = torch.device("cpu")


def _on(t):
    return t.to(DEV)


def _autocast():
    """bf16 autocast on a GPU (how the paper jobs train there), fp32 on the CPU."""
    return torch.autocast(DEV.type, dtype=torch.bfloat16, enabled=DEV.type == "cuda")


def _sync() -> None:
    if DEV.type == "cuda":
        torch.cuda.synchronize()


def peak(name: str, fp64: bool = False) -> float | None:
    table = PEAK_FP64 if fp64 else PEAK_BF16
    return next((v * 1e12 for k, v in table.items() if k in name), None)


@dataclass
class Measured:
    flops: float  # per step (forward + backward) or per forward sample, as the probe defines
    seconds: float  # on this CPU


def measure(step: Callable[[], None], min_seconds: float = 0.3) -> Measured:
    """FLOPs of one call of ``step`` and its seconds: the mean over calls adding up to ``min_seconds``
    (at least one), after one warm-up call (the counted one)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    _sync()
    calls, t0 = 0, time.perf_counter()
    while calls == 0 or time.perf_counter() - t0 < min_seconds:
        step()
        calls += 1
        _sync()
    return Measured(counter.get_total_flops(), (time.perf_counter() - t0) / calls)


def sgd_step(model: nn.Module, x: torch.Tensor, loss_fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[], None]:
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-6, momentum=0.9)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with _autocast():
            loss = loss_fn(model(x).float())
        loss.backward()
        opt.step()

    return step


def forward(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def step() -> None:
        with torch.no_grad(), _autocast():
            model(x)

    return step


@dataclass
class Family:
    study: str
    name: str
    jobs: int
    steps: int  # per job, over its seeds (forward-only passes counted in ``evals``)
    step: Measured  # one training step at the paper batch
    evals: float = 0.0  # forward samples per job besides training (metrics, features, dev sets)
    per_sample_forward: Measured | None = None
    fp64: bool = False
    note: str = ""
    unit: str = "steps"  # what a step processes (images, tokens, tiles) ...
    units: float = 1.0  # ... and how many of them

    def rate(self) -> float:
        """Units a second on the measuring device."""
        return self.units / self.step.seconds

    def achieved(self) -> float:
        """FLOP/s of a step on the measuring device."""
        return self.step.flops / self.step.seconds

    def record(self) -> dict:
        return {"study": self.study, "family": self.name, "jobs": self.jobs, "steps": self.steps,
                "flops_per_step": self.step.flops, "seconds_per_step": self.step.seconds, "unit": self.unit,
                "units_per_step": self.units, "fp64": self.fp64}

    def cpu_core_hours(self, threads: int) -> float:
        s = self.steps * self.step.seconds + (self.evals * self.per_sample_forward.seconds if self.evals else 0)
        return self.jobs * s * threads / 3600

    def flops(self) -> float:
        f = self.steps * self.step.flops + (self.evals * self.per_sample_forward.flops if self.evals else 0)
        return self.jobs * f

    def gpu_hours(self, mfu: float, gpu: str = "H100") -> float:
        rate = mfu * peak(gpu, self.fp64)
        per_step = max(self.step.flops / rate, FLOOR_S)
        evals = self.evals * self.per_sample_forward.flops / rate if self.evals else 0.0
        return self.jobs * (self.steps * per_step + evals) / 3600


def _scaled(m: Measured, factor: float) -> Measured:
    return Measured(m.flops * factor, m.seconds * factor)


def collapse_families(p: dict, probe_batch: int = 16) -> list[Family]:
    """Each (model, head) on each dataset: seeds x epochs x ceil(N / batch) SGD steps; transfer runs
    train on the source classes; NC metrics every eval_every epochs and the feature pass are forwards."""
    from lowdim.models import build
    from lowdim.studies.collapse import network_spec, trains_on

    c = p["collapse"]
    t = c["train"]
    out = []
    shapes = {}
    for d in c["datasets"]:
        shapes.setdefault(IMAGE_SETS[d][0], []).append(d)
    for shape, names in shapes.items():
        n_train, n_test = IMAGE_SETS[names[0]][1:]
        x = _on(torch.randn(probe_batch, *shape))
        y = _on(torch.randint(0, 10, (probe_batch,)))
        for m, full_spec in c["models"].items():
            on = [d for d in names if trains_on(full_spec, d)]
            if not on:
                continue
            epochs = full_spec.get("epochs") or t["epochs"]
            spec = network_spec(full_spec)
            model = _on(build(spec, shape, 10, "standard"))
            s = measure(sgd_step(model, x, lambda out: nn.functional.cross_entropy(out, y)))
            model.eval()
            f = measure(forward(model, x))
            step, fwd = _scaled(s, t["batch_size"] / probe_batch), _scaled(f, 1 / probe_batch)
            heads = len(c["models"][m]["heads"])
            evals = (epochs // t["eval_every"]) * n_train + n_train + n_test
            for name, jobs, frac in ((f"{m} ({'/'.join(c['models'][m]['heads'])})", heads, 1.0),
                                     (f"{m} transfer", 1, len(c["transfer"]["source_classes"]) / 10)):
                out.append(Family("collapse", f"{name} on {', '.join(on)}", jobs * len(on) * len(c["seeds"]),
                                  epochs * math.ceil(frac * n_train / t["batch_size"]), step,
                                  evals * frac, fwd, note=f"{shape} inputs, batch {t['batch_size']}",
                                  unit="images", units=t["batch_size"]))
    return out


def _dln(depth: int, width: int, samples: int, relu: bool) -> Measured:
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(width, width, bias=False)] + ([nn.ReLU()] if relu else [])
    model = _on(nn.Sequential(*layers).double())
    x = _on(torch.randn(samples, width, dtype=torch.float64))
    return measure(sgd_step(model, x, lambda out: out.pow(2).mean()))


def _chain(dim: tuple[int, int], width: int, depth: int, seeds: int, observed: float) -> Measured:
    from lowdim.studies.completion import core

    m, n = dim
    chain = core.full_chain(dim, width, depth, 1e-3, list(range(seeds)))
    k = int(observed * m * n)
    g = torch.Generator().manual_seed(0)
    idx = torch.stack([torch.randperm(m * n, generator=g)[:k] for _ in range(seeds)])
    obs = core.Observations(idx // n, idx % n, torch.randn(seeds, k, dtype=torch.float64), dim).to(DEV)
    chain = chain.to(DEV)
    params = list(chain.factors)

    def step() -> None:
        loss = core.masked_loss(chain.predict(obs), obs).sum()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for w, gr in zip(params, grads):
                w -= 1e-9 * gr

    return measure(step)


def dln_families(p: dict) -> list[Family]:
    d, seeds = p["dln"], len(p["dln"]["seeds"])
    pr, inv, co = d["progressive"], d["invariant"], d["compressed"]
    n = pr["data"]["classes"] * pr["data"]["samples"]
    deepest = max(pr["depths"])
    out = [Family("dln", f"progressive {a}, depths {', '.join(map(str, pr['depths']))}", len(pr["depths"]),
                  seeds * pr["epochs"], _dln(deepest, pr["width"], n, a == "relu"), fp64=True,
                  note=f"width {pr['width']}, {n} samples, full batch, measured at depth {deepest}; runs stop at tol")
           for a in pr["activations"]]
    out.append(Family("dln", "invariant (optimizers x inputs)", len(inv["optimizers"]) * len(inv["inputs"]),
                      seeds * inv["steps"], _dln(inv["depth"], inv["dim"], inv["samples"], False), fp64=True))
    full = _chain((co["dim"], co["dim"]), co["dim"], co["depth"], 1, 1.0)
    out.append(Family("dln", f"compressed vs full, d={co['dim']}", 1, seeds * co["max_steps"], full, fp64=True,
                      note="the full-width chain (the compressed one is ~d/2r cheaper); max_steps, runs stop at tol"))
    return out


def completion_families(p: dict) -> list[Family]:
    c, seeds = p["completion"], len(p["completion"]["seeds"])
    dw, sp, ml = c["depth_width"], c["speed"], c["movielens"]
    out = []
    for L in dw["depths"]:
        w = max(dw["widths"])
        out.append(Family("completion", f"depth-width L={L}, {len(dw['widths'])} widths", len(dw["widths"]),
                          dw["max_steps"], _chain((dw["dim"],) * 2, w, L, seeds, dw["observed"]), fp64=True,
                          note=f"{seeds} seeds stacked per step, measured at width {w}; max_steps, runs stop at tol"))
    full = _chain((sp["dim"],) * 2, sp["dim"], sp["depth"], seeds, sp["observed"])
    out.append(Family("completion", f"speed race d={sp['dim']} (full width)", 1, sp["max_steps"], full, fp64=True,
                      note=f"{seeds} seeds stacked; + {len(sp['ranks']) * len(sp['gammas'])} compressed and narrow "
                           "chains (width 2r, not counted) and ALS; max_steps, runs stop at tol"))
    users, items = 943, 1682
    width = ml["width"] or min(users, items)
    out.append(Family("completion", "MovieLens full width", ml.get("splits", 1), ml["max_steps"],
                      _chain((users, items), width, ml["depth"], 1, 0.8 * 100_000 / (users * items)), fp64=True,
                      note="per split; + the compressed chain and ALS (not counted)"))
    return out


def adapt_families(p: dict, stsb: str | None = None) -> list[Family]:
    """Every (method, rank, n) job: seeds x steps AdamW steps of batch_size pairs through the whole frozen
    encoder (the adapters' gradients need its backward), dev_samples forwards every eval_every steps."""
    from lowdim.models.adapters import adapt
    from lowdim.studies.adapt import jobs
    from lowdim.studies.adapt.experiments import RANDOM_ARCHITECTURES, load_model

    a = p["adapt"]
    name = a["model"]  # a step costs the same with any weights: the architecture, offline, where it is known
    tok, model = load_model(f"random:{name}" if name in RANDOM_ARCHITECTURES else name, "sdpa")
    adapt(model, a["targets"], "deep_lora", a["rank"], a["init_scale"], 0)
    pairs = [("A man is playing a guitar on the stage tonight.", "A person plays an acoustic guitar for a crowd.")]
    enc = tok([s for s, _ in pairs] * a["batch_size"], [t for _, t in pairs] * a["batch_size"],
              padding="max_length", truncation=True, max_length=64, return_tensors="pt")
    enc = {k: _on(v) for k, v in enc.items()}
    model = _on(model)
    model.train()
    step = measure(_bert_step(model, enc))
    model.eval()
    fwd = _scaled(measure(forward_kwargs(model, enc)), 1 / a["batch_size"])
    n_jobs = len(jobs(a))
    evals = len(a["seeds"]) * (a["steps"] // a["eval_every"] + 1) * a["dev_samples"]
    return [Family("adapt", f"{a['model']} adapters (3 methods, samples x ranks)", n_jobs, len(a["seeds"]) * a["steps"],
                   step, evals, fwd, note=f"batch {a['batch_size']} pairs padded to 64 tokens (STS-B pairs: ~30-60)",
                   unit="tokens", units=a["batch_size"] * 64)]


def _bert_step(model: nn.Module, enc) -> Callable[[], None]:
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=1e-6)
    target = _on(torch.zeros(enc["input_ids"].shape[0]))

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with _autocast():
            loss = nn.functional.mse_loss(model(**enc).logits.float().squeeze(-1), target)
        loss.backward()
        opt.step()

    return step


def forward_kwargs(model: nn.Module, enc) -> Callable[[], None]:
    def step() -> None:
        with torch.no_grad(), _autocast():
            model(**enc)

    return step


def rhm_families(p: dict, probe_batch: int = 2) -> list[Family]:
    """Each method x dataset: seeds x epochs x ceil(train tiles / batch) steps of the U-Net at the tile size."""
    from lowdim.models.unet import UNet

    r, inria = p["rhm"], p["data"]["inria"]
    size, per = inria["size"], inria["tiles_per_image"]
    tiles = int(0.75 * len(inria["source"]) * inria["images"] * per)
    model = _on(UNet(3, r["model"]["depth"], r["model"]["width"]))
    x = _on(torch.randn(probe_batch, 3, size, size))
    s = _scaled(measure(sgd_step(model, x, lambda out: out.pow(2).mean())), r["train"]["batch_size"] / probe_batch)
    model.eval()
    f = _scaled(measure(forward(model, x)), 1 / probe_batch)
    test = len(inria["targets"]) * int(0.25 * inria["images"] * per) * (1 + len(r["invariance"]["strengths"]))
    return [Family("rhm", f"U-Net depth {r['model']['depth']} width {r['model']['width']} on {size}px tiles",
                   len(r["methods"]) * len(r["datasets"]), len(r["seeds"]) * r["train"]["epochs"]
                   * math.ceil(tiles / r["train"]["batch_size"]), s, len(r["seeds"]) * test, f,
                   note=f"{tiles} source training tiles, batch {r['train']['batch_size']}", unit="tiles",
                   units=r["train"]["batch_size"])]


FAMILIES = {"collapse": collapse_families, "dln": dln_families, "completion": completion_families,
            "adapt": adapt_families, "rhm": rhm_families}


def families(p: dict, studies: list[str] | None = None, device: str = "cpu") -> list[Family]:
    """Every paper job family of ``studies`` (default: all), a step of each measured on ``device``."""
    global DEV
    DEV = torch.device(device)
    out = []
    for study, fn in FAMILIES.items():
        if studies is None or study in studies:
            print(f"[lowdim] cost: measuring {study} at paper shape", flush=True)
            out += fn(p)
    return out


def _h(x: float) -> str:
    return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"


FAMILY_HEADER = "| study | family | jobs | steps a job | GFLOP a step | CPU s a step | H100 GPU-hours | note |"


def table(fams: list[Family], mfu: float, threads: int, cpu: str) -> str:
    """Markdown: per study (jobs, steps, PFLOP, GPU-hours, CPU core-hours) and per family."""
    studies = list(dict.fromkeys(f.study for f in fams))
    lines = [f"Projected cost of the paper scale (`workflow/configs/paper.yaml`): steps and FLOPs per step measured "
             f"at paper shape on {cpu} ({threads} threads); GPU-hours on one H100 at {mfu:.0%} of its dense peak "
             f"(bf16 989 TFLOP/s; fp64 67 for the float64 chains; {'assumed: no GPU has measured it yet, ' if mfu == MFU else ''}"
             f"`bench/gpu_check.py` measures it), at least {FLOOR_S * 1e3:.0f} ms a step (kernel launches); "
             "upper bounds where runs stop at a tolerance.", "",
             "| study | jobs | steps | PFLOP | H100 GPU-hours | CPU core-hours |", "|---|---:|---:|---:|---:|---:|"]
    tot = [0, 0, 0.0, 0.0, 0.0]
    for s in studies:
        fs = [f for f in fams if f.study == s]
        row = [sum(f.jobs for f in fs), sum(f.jobs * f.steps for f in fs), sum(f.flops() for f in fs) / 1e15,
               sum(f.gpu_hours(mfu) for f in fs), sum(f.cpu_core_hours(threads) for f in fs)]
        tot = [a + b for a, b in zip(tot, row)]
        lines.append(f"| {s} | {row[0]:,} | {row[1]:,} | {_h(row[2])} | {_h(row[3])} | {_h(row[4])} |")
    lines.append(f"| **all** | {tot[0]:,} | {tot[1]:,} | {_h(tot[2])} | {_h(tot[3])} | {_h(tot[4])} |")
    lines += ["", FAMILY_HEADER, "|---|---|---:|---:|---:|---:|---:|---|"]
    for f in fams:
        lines.append(f"| {f.study} | {f.name} | {f.jobs} | {f.steps:,} | {f.step.flops / 1e9:,.3g} | "
                     f"{f.step.seconds:.3g} | {_h(f.gpu_hours(mfu))} | {f.note} |")
    return "\n".join(lines) + "\n"


PAPER = ("params.yaml", "workflow/configs/paper.yaml")


def cost(out: str, params: list = None, mfu: float = MFU, studies: list = None) -> None:
    """Measure a step of every paper job family at paper shape on this CPU and write the projected cost
    of the paper scale (PARAMS: the paper's params files, merged; default params.yaml + paper.yaml) to OUT
    (markdown) and OUT with .json (the measurements, which bench/gpu_check.py sets beside its own)."""
    import json

    from lowdim import config, provenance

    p = config.load(*(params or PAPER))
    threads = torch.get_num_threads()
    fams = families(p, studies or None)
    text = table(fams, mfu, threads, provenance.cpu_name())
    write_atomic(out, lambda tmp: Path(tmp).write_text(text))
    record = {"cpu": provenance.cpu_name(), "threads": threads, "families": [f.record() for f in fams]}
    write_atomic(Path(out).with_suffix(".json"), lambda tmp: Path(tmp).write_text(json.dumps(record, indent=1)))
    print(text, flush=True)


def readme(cost_md: str = "results/rehearsal/cost.md", readme_path: str = "README.md") -> None:
    """Put the per-study table of COST_MD (written by ``rehearsal cost``) into README.md's cost section."""
    from lowdim.claims.report import readme as replace_section

    summary = Path(cost_md).read_text().split(FAMILY_HEADER)[0].rstrip() + "\n"  # the intro and the per-study table
    tmp = Path(cost_md).with_suffix(".readme.md")
    write_atomic(tmp, lambda t: Path(t).write_text(summary))
    replace_section(str(tmp), readme_path, section="cost")
