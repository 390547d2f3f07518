"""Train a small U-Net per method and seed on the source domain; measure IoU per domain and under
random pixel-wise transformations of the source test set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.overhead import imaging
from lowdim.data.photometric import equalize, gray_world, match_histograms
from lowdim.data.registry import load
from lowdim.io import write_npz
from lowdim.models.unet import UNet
from lowdim.studies.rhm.params import Rhm, RhmJob
from lowdim.studies.rhm import row
from lowdim.train import Checkpointer, fit, pick_device, seed_everything
from lowdim.train.loop import epoch_generator, index_batches


def normalize(images: torch.Tensor, method: str) -> torch.Tensor:
    """The method's fixed train-and-test transform (histeq, grayworld), then scaling to [0, 1]."""
    if method == "histeq":
        return (equalize(images) / 255.0).float()
    if method == "grayworld":
        return (gray_world(images) / 255.0).float()
    return images.float() / 255.0


def jitter(images: torch.Tensor, p, generator: torch.Generator) -> torch.Tensor:
    """Photometric jitter per image (torchvision's ColorJitter: brightness, contrast, saturation, hue;
    then a random gamma), the simple augmentation common in overhead imagery."""
    from torchvision.transforms.v2 import functional as TF

    out = []
    for img in images:
        r = torch.rand(5, generator=generator).tolist()
        x = TF.adjust_brightness(img, 1 + p.brightness * (2 * r[0] - 1))
        x = TF.adjust_contrast(x, 1 + p.contrast * (2 * r[1] - 1))
        x = TF.adjust_saturation(x, 1 + p.saturation * (2 * r[2] - 1))
        x = TF.adjust_hue(x, p.hue * (2 * r[3] - 1))
        out.append(TF.adjust_gamma(x, float(np.exp(np.log1p(p.gamma) * (2 * r[4] - 1)))))
    return torch.stack(out)


def transformed(images: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """``images`` (N, 3, H, W) uint8 through one random monotone per-channel imaging model of ``strength``."""
    cam = imaging(rng, strength, noise=0.0)
    return cam(images.transpose(0, 2, 3, 1) / 255.0, rng).transpose(0, 3, 1, 2).copy()


def iou_and_accuracy(logits: torch.Tensor, masks: torch.Tensor) -> dict[str, float]:
    """Building IoU |P & M| / |P | M| and pixel accuracy over a whole split (pooled over tiles)."""
    pred = logits > 0
    m = masks.bool()
    union = (pred | m).sum().item()
    return {"iou": (pred & m).sum().item() / union if union else 1.0,
            "pixel_acc": (pred == m).float().mean().item()}


@torch.inference_mode()
def predict(model: nn.Module, images: np.ndarray, method: str, device, batch: int = 256) -> torch.Tensor:
    """Logits of a trained model, in eval mode and channels-last (oneDNN's convolutions then skip a layout
    reorder per layer: the embedded U-Net's evaluation takes 0.6 times as long on one core)."""
    model.eval().to(memory_format=torch.channels_last)
    x = torch.as_tensor(images)
    return torch.cat([model(normalize(x[i:i + batch], method).to(device).contiguous(memory_format=torch.channels_last)).cpu()
                      for i in range(0, len(x), batch)])


#: test tiles per domain shown in the examples figure
EXAMPLES = 2


def example_tiles(masks: np.ndarray, count: int = EXAMPLES) -> np.ndarray:
    """Indices of ``count`` test tiles of a domain for the examples figure, chosen from the masks alone (the
    same for every method): the tiles at the 60th and 90th percentiles of building share."""
    order = np.argsort(masks.reshape(len(masks), -1).mean(axis=1), kind="stable")
    at = np.linspace(0.6, 0.9, count) if count > 1 else np.array([0.75])
    return order[np.minimum((at * len(order)).astype(int), len(order) - 1)]


def domain_names(data: dict) -> list[str]:
    """The target domains' names (the table's domains): the cities of real data, else target1, target2, ..."""
    targets = int(data["targets"])
    if "domain_names" in data:
        return [str(n) for n in data["domain_names"][1:]]
    return [f"target{k}" for k in range(1, targets + 1)]


def train(spec: RhmJob, method: str, data_path: str, out: str, examples_out: str, checkpoint_dir: str) -> None:
    """Every seed of one method on one data source (``spec.dataset``): train on the source (the oracle: on the
    labelled targets), evaluate; ``examples_out``: the first seed's predicted masks of a few test tiles per
    domain (npz)."""
    p = spec.rhm
    device = pick_device(spec.device)
    data = load(data_path)
    rows, examples = [], None
    for seed in p.seeds:
        r, ex = _one_seed(p, spec.dataset, method, seed, data, device, Path(checkpoint_dir) / f"seed{seed}.pt",
                          params_hash([spec, method, seed]), f"rhm/{spec.dataset}/{method}/seed{seed}")
        rows += r
        examples = examples if examples is not None else ex
    tables.write(tables.frame(rows, params_hash(spec)), out)
    write_npz(examples_out, {"method": np.asarray(method), "source": np.asarray(spec.dataset),
                             "domains": np.asarray(list(examples)),
                             "index": np.stack([v[0] for v in examples.values()]),
                             "masks": np.stack([v[1] for v in examples.values()])})


def _one_seed(p: Rhm, source: str, method: str, seed: int, data: dict, device, ckpt: Path, identity: str,
              run: str) -> tuple[list[dict], dict[str, tuple[np.ndarray, np.ndarray]]]:
    seed_everything(seed)
    targets = int(data["targets"])
    if method == "oracle":  # the ceiling: labelled target-domain tiles
        x = np.concatenate([data[f"x_target{k}_train"] for k in range(1, targets + 1)])
        m = np.concatenate([data[f"mask_target{k}_train"] for k in range(1, targets + 1)])
    else:
        x, m = data["x_train"], data["mask_train"]
    pool = torch.as_tensor(np.concatenate([data[f"x_unlabelled{k}"] for k in range(1, targets + 1)]))  # RHM's references
    x_t, m_t = torch.as_tensor(x), torch.as_tensor(m).float()
    model = UNet(3, p.model.depth, p.model.width).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=p.train.lr)
    loss_of = nn.BCEWithLogitsLoss()

    def batches(epoch: int):
        g = epoch_generator(seed, epoch)
        for idx in index_batches(len(x_t), p.train.batch_size, seed, epoch, torch.device("cpu")):
            imgs = x_t[idx]
            if method == "rhm":  # a random unlabelled target image per training image, this step
                imgs = match_histograms(imgs, pool[torch.randint(len(pool), (len(idx),), generator=g)])
                imgs = imgs.round().clamp(0, 255).to(torch.uint8)
            elif method == "jitter":
                imgs = jitter(imgs, p.jitter, g)
            yield normalize(imgs, method).to(device), m_t[idx].to(device)

    def loss_fn(batch):
        imgs, masks = batch
        return loss_of(model(imgs), masks)

    fit(run, model, opt, loss_fn, batches, p.train.epochs, Checkpointer(ckpt, identity, p.train.epochs))
    epochs = p.train.epochs
    rows = []
    norm = method if method in ("histeq", "grayworld") else "none"
    domains = {"source": (data["x_test"], data["mask_test"])}
    domains.update({name: (data[f"x_target{k}_test"], data[f"mask_target{k}_test"])
                    for k, name in enumerate(domain_names(data), start=1)})
    examples, logits_of = {}, {}
    for domain, (xs, ms) in domains.items():
        logits = logits_of[domain] = predict(model, xs, norm, device)
        shown = example_tiles(ms)
        examples[domain] = (shown, (logits[shown] > 0).numpy().astype(np.uint8))
        for metric, value in iou_and_accuracy(logits, torch.as_tensor(ms)).items():
            rows.append(row("shift", method, source, domain, seed, epochs, metric, value))
    rng = np.random.default_rng(p.invariance.seed)  # the same transformations for every method and seed
    for strength in p.invariance.strengths:
        ious = []
        for _ in range(p.invariance.transforms):
            x = transformed(data["x_test"], strength, rng)  # drawn even at strength 0: it advances rng
            logits = logits_of["source"] if np.array_equal(x, data["x_test"]) else predict(model, x, norm, device)
            ious.append(iou_and_accuracy(logits, torch.as_tensor(data["mask_test"]))["iou"])
        rows.append(row("invariance", method, source, f"transformed-s{strength:g}", seed, epochs, "iou",
                        float(np.mean(ious))))
    return rows, examples
