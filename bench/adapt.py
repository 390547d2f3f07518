"""Fine-tuning throughput of LoRA vs Deep LoRA (and compressed Deep LoRA) on the bundled MiniLM.

    python bench/adapt.py                          # CPU or the GPU, batch 16, 64-token pairs
    python bench/adapt.py --model bert-base-cased --targets all   # the paper's model (needs the hub cache)
    python bench/adapt.py --precision fp32 bf16    # fp32 vs bf16 autocast (adapt.precision), ratio printed
    python bench/adapt.py --attention sdpa eager   # torch's fused attention vs explicit (adapt.attention), ratio printed

Times --steps training steps (forward, backward, AdamW step) after --warmup steps on random
token batches padded to --length tokens, and prints samples/s, tokens/s and steps/s for each method (and
precision) as it completes, then the overhead of Deep LoRA over LoRA in per cent (goal: <= 15%) and
the speed-up of bf16 autocast over fp32 (the study's default on AMX CPUs and GPUs) and of eager
attention over sdpa (the study's default: torch's fused CPU attention is slow without dropout).
Under bf16 the frozen weights are stored in bf16, as the study does (``frozen_to_bf16``).
"""

from __future__ import annotations

import argparse
import time

import torch

from lowdim.models.adapters import adapt, adapters, compress_adapters, param_groups
from lowdim.studies.adapt.experiments import frozen_to_bf16, load_model, native_bf16, reset_head, score


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def matmul_tflops(dtype: torch.dtype, device, m: int = 512, k: int = 384, n: int = 1536, reps: int = 100) -> float:
    """TFLOP/s of one (m x k) @ (k x n) product, MiniLM's FFN shape at 512 tokens."""
    a, b = torch.randn(m, k, dtype=dtype, device=device), torch.randn(k, n, dtype=dtype, device=device)
    for _ in range(5):
        a @ b
    sync(device)
    start = time.perf_counter()
    for _ in range(reps):
        a @ b
    sync(device)
    return 2 * m * k * n * reps / (time.perf_counter() - start) / 1e12


def throughput(method: str, args, device, precision: str, attention: str) -> float:
    _, model = load_model(args.model, attention)
    for p in model.parameters():
        p.requires_grad_(False)
    reset_head(model, 0, train=False)  # the authors' frozen head
    enc = model.base_model
    adapt(enc, args.targets, "deep_lora_full" if method == "deep_lora_compressed" else method, args.rank, 1e-3, 0)
    model.to(device).train()
    if precision == "bf16":
        frozen_to_bf16(enc)
    g = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size

    def batch():  # pairs of --length // 2 to --length tokens padded to --length, as the study's batches are
        ids = torch.randint(1000, vocab, (args.batch, args.length), generator=g)
        lengths = torch.randint(args.length // 2, args.length + 1, (args.batch, 1), generator=g)
        mask = (torch.arange(args.length) < lengths).long()
        return {"input_ids": (ids * mask).to(device), "attention_mask": mask.to(device)}

    y = torch.rand(args.batch, device=device) * 5
    if method == "deep_lora_compressed":
        compress_adapters(enc, torch.nn.functional.mse_loss(score(model, batch(), precision), y), args.rank, 1e-3)  # width 2r
    opt = torch.optim.AdamW(param_groups(enc, 1e-4, 0.01, []), eps=1e-6, weight_decay=0.0)
    batches = [batch() for _ in range(4)]
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            sync(device)
            start = time.perf_counter()
        loss = torch.nn.functional.mse_loss(score(model, batches[step % 4], precision), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    n_adapted = len(adapters(enc))
    seconds = time.perf_counter() - start
    rate = args.steps * args.batch / seconds
    print(f"{method:>22} {precision} {attention}: {rate:8.1f} samples/s, {rate * args.length:9.0f} tokens/s, {args.steps / seconds:6.2f} steps/s"
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
    ap.add_argument("--precision", nargs="*", default=["bf16"], choices=["fp32", "bf16"])
    ap.add_argument("--attention", nargs="*", default=["eager"], choices=["eager", "sdpa"])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    device = torch.device(args.device)
    print(f"device {device} ({torch.get_num_threads()} threads), model {args.model}, targets {args.targets}, "
          f"batch {args.batch} x {args.length} tokens; native bfloat16: {'yes' if native_bf16(device) else 'no'}"
          " (adapt.precision auto runs bf16 only then)")
    if len(args.precision) > 1:
        fp32, bf16 = matmul_tflops(torch.float32, device), matmul_tflops(torch.bfloat16, device)
        print(f"matmul 512x384 @ 384x1536: fp32 {fp32:.2f} TFLOP/s, bf16 {bf16:.2f} TFLOP/s ({bf16 / fp32:.1f}x)")
    rates = {(m, pr, at): throughput(m, args, device, pr, at)
             for at in args.attention for pr in args.precision for m in args.methods}
    for (m, pr, at), rate in rates.items():
        if m != "lora" and ("lora", pr, at) in rates:
            print(f"overhead of {m} over LoRA ({pr}, {at}): {100 * (rates['lora', pr, at] / rate - 1):+.1f}% time "
                  "per sample (goal <= 15%)")
        if pr == "bf16" and (m, "fp32", at) in rates:
            print(f"{m} ({at}): bf16 autocast {rate / rates[m, 'fp32', at]:.2f}x the fp32 samples/s")
        if at == "eager" and (m, pr, "sdpa") in rates:
            print(f"{m} ({pr}): eager attention {rate / rates[m, pr, 'sdpa']:.2f}x sdpa's samples/s")

if __name__ == "__main__":
    main()
