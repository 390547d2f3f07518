"""The GPU check of the paper scale, as one prepared script (for the day a GPU is lent).

    python bench/gpu_check.py                          # on a CUDA machine: at most ~8 minutes
    python bench/gpu_check.py --device cpu --studies dln completion --no-jobs   # its CPU path (the tests)

1. bf16 autocast: a ResNet18 training loss under autocast is bf16 inside and within 2% of fp32's.
2. Fused attention: BERT-base's self-attention through torch's scaled_dot_product_attention with only
   the flash (or memory-efficient) kernel allowed matches the explicit (eager) attention.
3. Throughput: one step of every paper job family at paper shape (``lowdim.rehearsal.cost``), on this
   device in bf16 autocast (fp64 for the factor chains): images/s, tokens/s, TFLOP/s and MFU, next to
   the CPU's numbers from the rehearsal (results/rehearsal/cost.json, or measured now).
4. The paper DAG's first jobs on CUDA: the rehearsal (paper shapes, a few steps) for one training job
   of each study, through Snakemake with ``device: cuda``.

It ends with the measured MFU to pass to ``python -m lowdim rehearsal cost --mfu``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lowdim import config  # noqa: E402
from lowdim.rehearsal import cost  # noqa: E402

#: one training job of each study in the rehearsal DAG (paper shapes, a few steps)
FIRST_JOBS = [
    "results/rehearsal/collapse/runs/cifar10_jpeg/resnet18-standard/s0/metrics.parquet",
    "results/rehearsal/collapse/runs/cifar10_jpeg/hybrid-standard/s0/metrics.parquet",
    "results/rehearsal/dln/runs/compressed/run/metrics.parquet",
    "results/rehearsal/completion/runs/speed/run/metrics.parquet",
    "results/rehearsal/adapt/runs/deep_lora-r8-n16/metrics.parquet",
    "results/rehearsal/rhm/runs/inria/rhm/metrics.parquet",
]


def check(name: str, ok: bool, detail: str) -> bool:
    print(f"[{'ok' if ok else 'FAIL'}] {name}: {detail}", flush=True)
    return ok


def autocast_check(device: torch.device) -> bool:
    from lowdim.models import build

    torch.manual_seed(0)
    model = build({"arch": "resnet18", "depth": 0, "width": 64, "linear_depth": 0, "batch_norm": True},
                  (3, 32, 32), 10).to(device).eval()
    n = 32 if device.type == "cuda" else 8
    x, y = torch.randn(n, 3, 32, 32, device=device), torch.randint(0, 10, (n,), device=device)
    with torch.no_grad():
        ref = torch.nn.functional.cross_entropy(model(x), y)
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = model(x)
        low = torch.nn.functional.cross_entropy(logits.float(), y)
    rel = abs(low.item() - ref.item()) / abs(ref.item())
    return check("bf16 autocast", logits.dtype == torch.bfloat16 and rel < 0.02,
                 f"logits {logits.dtype}, loss {low.item():.4f} vs fp32 {ref.item():.4f} (rel {rel:.2e})")


def attention_check(device: torch.device) -> bool:
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from transformers import AutoConfig, AutoModel

    arch = cost_arch() if device.type == "cuda" else {**cost_arch(), "num_hidden_layers": 2}  # CPU: the path, quickly
    cfg = AutoConfig.for_model(**arch, num_labels=1)
    torch.manual_seed(0)
    eager = AutoModel.from_config(cfg, attn_implementation="eager").to(device).eval()
    fused = AutoModel.from_config(cfg, attn_implementation="sdpa").to(device).eval()
    fused.load_state_dict(eager.state_dict())
    ids = torch.randint(1000, 20000, (8, 128) if device.type == "cuda" else (2, 32), device=device)
    backends = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION] if device.type == "cuda" else [SDPBackend.MATH]
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    with torch.no_grad(), torch.autocast(device.type, dtype=dtype, enabled=device.type == "cuda"):
        a = eager(input_ids=ids).last_hidden_state.float()
        try:
            with sdpa_kernel(backends):
                b = fused(input_ids=ids).last_hidden_state.float()
        except RuntimeError as e:
            return check("fused attention", False, f"{', '.join(k.name for k in backends)} unavailable: {e}")
    err = ((a - b).norm() / a.norm()).item()
    return check("fused attention", err < (3e-2 if device.type == "cuda" else 1e-4),
                 f"sdpa restricted to {', '.join(k.name for k in backends)} vs eager: rel. difference {err:.2e}")


def cost_arch() -> dict:
    from lowdim.studies.adapt.experiments import RANDOM_ARCHITECTURES

    return dict(RANDOM_ARCHITECTURES["bert-base-cased"])


def throughput(device: str, studies: list[str], cpu_json: Path) -> float | None:
    params = config.load(*cost.PAPER)
    fams = cost.families(params, studies, device)
    if cpu_json.exists():
        cpu = {(f["study"], f["family"]): f for f in json.loads(cpu_json.read_text())["families"]}
        where = f"{cpu_json} ({json.loads(cpu_json.read_text())['cpu']})"
    else:
        cpu = {(f.study, f.name): f.record() for f in cost.families(params, studies, "cpu")} if device != "cpu" else {}
        where = "measured now"
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    print(f"\nthroughput on {name} (CPU numbers: {where})")
    print(f"{'study':10s} {'family':55s} {'rate':>18s} {'TFLOP/s':>8s} {'MFU':>6s} {'CPU rate':>16s} {'x CPU':>7s}")
    mfus = []
    for f in fams:
        pk = cost.peak(name, f.fp64)
        mfu = f.achieved() / pk if pk else None
        if mfu is not None and not f.fp64 and f.step.flops > 1e11:
            mfus.append(mfu)
        c = cpu.get((f.study, f.name))
        c_rate = c["units_per_step"] / c["seconds_per_step"] if c else None
        print(f"{f.study:10s} {f.name[:55]:55s} {f.rate():12,.1f} {f.unit:>5s} {f.achieved() / 1e12:8.2f} "
              f"{(f'{mfu:.1%}' if mfu is not None else '-'):>6s} "
              f"{(f'{c_rate:10,.1f} {f.unit}' if c_rate else '-'):>16s} {(f'{f.rate() / c_rate:7.1f}' if c_rate else '-'):>7s}")
    return sum(mfus) / len(mfus) if mfus else None


def first_jobs(device: str, budget_s: float) -> bool:
    override = ROOT / "results" / "gpu_check.yaml"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text(f"device: {device}\n")
    cmd = ["snakemake", "--cores", "all", "--configfile", "workflow/configs/paper.yaml",
           "workflow/configs/rehearsal.yaml", str(override), "--", *FIRST_JOBS]
    print("\n$ " + " ".join(cmd), flush=True)
    t0 = time.perf_counter()
    try:
        rc = subprocess.run(cmd, cwd=ROOT, timeout=budget_s).returncode
    except subprocess.TimeoutExpired:
        return check("first jobs on " + device, False, f"not finished within {budget_s:.0f} s")
    return check("first jobs on " + device, rc == 0, f"snakemake rc {rc} in {time.perf_counter() - t0:.0f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--studies", nargs="*", default=list(cost.FAMILIES))
    ap.add_argument("--cpu-json", default="results/rehearsal/cost.json")
    ap.add_argument("--no-jobs", action="store_true", help="skip step 4 (the Snakemake jobs)")
    ap.add_argument("--budget", type=float, default=300, help="seconds allowed for step 4")
    args = ap.parse_args()
    device = torch.device(args.device)
    from lowdim.provenance import cpu_name

    print(f"device: {torch.cuda.get_device_name() if device.type == 'cuda' else cpu_name()}; torch {torch.__version__}",
          flush=True)
    ok = autocast_check(device) & attention_check(device)
    mfu = throughput(args.device, args.studies, ROOT / args.cpu_json)
    if not args.no_jobs:
        ok &= first_jobs(args.device, args.budget)
    if mfu is not None:
        print(f"\nmeasured MFU (bf16 families over 0.1 TFLOP a step): {mfu:.1%}; project with it:\n"
              f"  python -m lowdim rehearsal cost --out results/rehearsal/cost.md --mfu {mfu:.3f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
