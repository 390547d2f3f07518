"""Fine-tuning throughput of LoRA vs Deep LoRA (and compressed Deep LoRA) on the bundled MiniLM.

    python bench/adapt.py                          # CPU or the GPU, batch 16, 64-token pairs
    python bench/adapt.py --model bert-base-cased --targets all   # the paper's model (needs the hub cache)

Times --steps training steps (forward, backward, AdamW step) after --warmup steps on random
token batches of --length tokens, and prints samples/s, tokens/s and steps/s for each method as it
completes, then the overhead of Deep LoRA over LoRA in per cent (goal: <= 15%).
"""

from __future__ import annotations

import argparse
import time

import torch

from lowdim.models.adapters import adapt, adapters, compress_adapters, param_groups
from lowdim.studies.adapt.experiments import load_model, reset_head, score


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def throughput(method: str, args, device) -> float:
    _, model = load_model(args.model)
    for p in model.parameters():
        p.requires_grad_(False)
    reset_head(model, 0, train=False)  # the authors' frozen head
    enc = model.base_model
    adapt(enc, args.targets, "deep_lora_full" if method == "deep_lora_compressed" else method, args.rank, 1e-3, 0)
    model.to(device).train()
    g = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size

    def batch():
        ids = torch.randint(1000, vocab, (args.batch, args.length), generator=g).to(device)
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    y = torch.rand(args.batch, device=device) * 5
    if method == "deep_lora_compressed":
        compress_adapters(enc, torch.nn.functional.mse_loss(score(model, batch()), y), args.rank, 1e-3)  # width 2r
    opt = torch.optim.AdamW(param_groups(enc, 1e-4, 0.01, []), eps=1e-6, weight_decay=0.0)
    batches = [batch() for _ in range(4)]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast("cpu", enabled=False)
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            sync(device)
            start = time.perf_counter()
        with autocast:
            loss = torch.nn.functional.mse_loss(score(model, batches[step % 4]).float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    n_adapted = len(adapters(enc))
    seconds = time.perf_counter() - start
    rate = args.steps * args.batch / seconds
    print(f"{method:>22}: {rate:8.1f} samples/s, {rate * args.length:9.0f} tokens/s, {args.steps / seconds:6.2f} steps/s"
          f"  ({n_adapted} adapted layers, rank {args.rank})", flush=True)
    return rate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="minilm")
    ap.add_argument("--targets", default="all")
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--methods", nargs="*", default=["lora", "deep_lora", "deep_lora_compressed"])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    device = torch.device(args.device)
    print(f"device {device} ({torch.get_num_threads()} threads), model {args.model}, targets {args.targets}, "
          f"batch {args.batch} x {args.length} tokens")
    rates = {m: throughput(m, args, device) for m in args.methods}
    for m in rates:
        if m != "lora" and "lora" in rates:
            print(f"overhead of {m} over LoRA: {100 * (rates['lora'] / rates[m] - 1):+.1f}% time per sample (goal <= 15%)")


if __name__ == "__main__":
    main()
