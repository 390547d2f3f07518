"""The ``adapt`` block of params.yaml and the specs of the study's single steps (what one rule passes;
the CLI builds them from its JSON). Ranges and choices live on each field (``lowdim.specs.schema``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from lowdim.errors import ParamsError
from lowdim.specs.base import nested, param


@dataclass(frozen=True)
class AdaptLr:
    lora: float = param(1.0e-4, 'LoRA', exclusive_minimum=0, maximum=1)
    deep_lora: float = param(1.0e-4, 'Deep LoRA', exclusive_minimum=0, maximum=1)
    deep_lora_compressed: float = param(1.0e-4, 'compressed Deep LoRA', exclusive_minimum=0, maximum=1)


@dataclass(frozen=True)
class Adapt:
    """Deep LoRA vs LoRA, few-shot fine-tuning on GLUE STS-B (Yaras et al. ICML 2024)."""

    model: str = param('minilm', 'minilm (bundled, offline), a Hugging Face hub id or local folder, or random:bert-base-cased (its architecture with random weights: the rehearsal stand-in)', min_length=1)
    targets: str = param('all', 'which linear layers get adapters', enum=['qv', 'attention_mlp', 'all'])
    train_head: bool = param(False, 'train the new regression head too (the authors train only the adapters)')
    methods: tuple[str, ...] = param(('lora', 'deep_lora'), 'lora | deep_lora | deep_lora_compressed', min_items=1, unique_items=True, items={'enum': ['lora', 'deep_lora', 'deep_lora_compressed']})
    seeds: tuple[int, ...] = param((0,), 'a seed fixes the n-pair subset, the head and the adapter init', min_items=1, unique_items=True, items={'minimum': 0})
    samples: tuple[int, ...] = param((16,), 'n of the samples sweep (at rank)', min_items=1, unique_items=True, items={'minimum': 2, 'maximum': 5749})
    rank: int = param(8, 'adapter rank of the samples sweep', minimum=1, maximum=1024)
    ranks: tuple[int, ...] = param((), 'ranks of the rank sweep (at n = rank_samples; empty: no sweep)', unique_items=True, items={'minimum': 1, 'maximum': 1024})
    rank_samples: int = param(16, 'n of the rank sweep', minimum=2, maximum=5749)
    init_scale: float = param(0.001, 'Deep LoRA: orthogonal init scale', exclusive_minimum=0, maximum=10)
    gamma: float = param(0.01, 'compressed Deep LoRA: outer factors train at gamma * lr', minimum=0, maximum=1000)
    lr: AdaptLr = nested(AdaptLr, 'AdamW learning rate of each method')
    lr_decay: str = param('none', 'linear (to 0 at the last step) | none', enum=['linear', 'none'])
    batch_size: int = param(16, 'pairs per step', minimum=1, maximum=4096)
    steps: int = param(150, 'optimizer steps', minimum=1, maximum=10000000)
    eval_every: int = param(75, 'steps between dev evaluations', minimum=1)
    early_step: int = param(75, 'Delta W subspaces at this step vs the last', minimum=1)
    max_length: int = param(48, 'tokens per pair; longer training pairs are left out', minimum=8, maximum=512)
    dev_samples: int = param(200, 'a fixed subset of the dev pairs (1500: all)', minimum=10, maximum=1500)
    spectrum_top: int = param(16, 'singular values of Delta W recorded per layer', minimum=1, maximum=1024)
    pooling: str = param('mean', "pooler: the model's [CLS] pooler (the authors', BERT); mean: masked mean of the last hidden states (MiniLM's pretrained pooling)", enum=['pooler', 'mean'])
    precision: str = param('auto', 'auto: bf16 where the device multiplies bfloat16 natively (GPUs, AMX / AVX512-BF16 CPUs), else fp32; bf16: autocast (matmuls in bfloat16, adapters and AdamW in fp32); fp32: everything in fp32', enum=['auto', 'bf16', 'fp32'])
    attention: str = param('eager', "eager: explicit softmax(QK^T)V (as Flax BERT; fastest on CPU); sdpa: torch's fused attention kernels (GPUs)", enum=['eager', 'sdpa'])


@dataclass(frozen=True)
class AdaptJob:
    device: str = param("auto", "auto | cpu | cuda")
    adapt: Adapt = nested(Adapt, "params adapt")


def check(params: Mapping) -> None:
    """Rules between keys of the adapt block that the schema cannot express (``lowdim.config.validate`` calls it)."""
    ad = params["adapt"]
    if ad["early_step"] % ad["eval_every"]:
        raise ParamsError(f"params: adapt.early_step = {ad['early_step']} is not allowed: must be a multiple of "
                          f"adapt.eval_every ({ad['eval_every']}), a step at which the loop stops to measure")
    if ad["early_step"] >= ad["steps"]:
        raise ParamsError(f"params: adapt.early_step = {ad['early_step']} is not allowed: must be < adapt.steps ({ad['steps']})")
    if ad["samples"] and min(ad["samples"] + [ad["rank_samples"]]) < ad["batch_size"]:
        raise ParamsError(f"params: adapt.samples / adapt.rank_samples must each be >= adapt.batch_size "
                          f"({ad['batch_size']}): lower the batch size or raise n")


#: The study at test scale (tests/conftest.py): a params overlay on which every one of its rules runs, in seconds,
#: on 2 CPU cores.
TINY = {"adapt": {"targets": "qv", "seeds": [0], "samples": [16], "ranks": [], "rank_samples": 16, "batch_size": 8,
              "steps": 4, "eval_every": 2, "early_step": 2, "dev_samples": 20}}
