"""Low-rank adapters on frozen linear layers: LoRA and Deep LoRA (Yaras et al., ICML 2024).

``AdaptedLinear`` wraps a frozen ``nn.Linear`` W and adds a product of trainable factors,
y = W x + b + F_k ... F_1 x, computed through the narrow path (never forming Delta W):

* LoRA (depth 2): Delta W = B A, no alpha / r scaling, initialized as the authors' code does
  (deep-lora-transformers ``MatrixFactorization``, depth 2, on flax's (in, out) kernels): the factor
  applied first, A (r x in), is zero and B (out x r) ~ N(0, 1) — the mirror of peft's default
  (A random, B = 0); with ``lora_alpha = r`` peft computes the same map;
* Deep LoRA (depth 3): Delta W = W_3 W_2 W_1 with scaled orthogonal init (``init_scale``, 1e-3
  in the paper), width r;
* compressed Deep LoRA: the factors of the compressed deep linear network
  [V_1^T, eps I_2r (3 times), U_L] (``lowdim.models.factors.compress``) built from one
  batch's gradient at a full-width initialization; its outer factors are marked for gamma * lr.
"""

from __future__ import annotations

import torch
from torch import nn

from lowdim.models import factors as chain
from lowdim.models.linear import orthogonal

#: which linear layers of a BERT-family encoder get adapters
TARGETS = {
    "qv": ("attention.self.query", "attention.self.value"),
    "attention_mlp": ("attention.self.query", "attention.self.key", "attention.self.value",
                      "attention.output.dense", "intermediate.dense", "output.dense"),
    "all": ("attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense", "pooler.dense"),
}


class AdaptedLinear(nn.Module):
    def __init__(self, base: nn.Linear, factors: list[torch.Tensor], outer: bool = False):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)
        self.factors = nn.ParameterList(nn.Parameter(f.clone()) for f in factors)
        self.outer = outer  #: first and last factor train at gamma * lr (compressed)

    def delta(self) -> torch.Tensor:
        """Delta W = F_k ... F_1 (out x in)."""
        return chain.product(list(self.factors))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + chain.apply(list(self.factors), x)


def lora_factors(base: nn.Linear, rank: int, generator: torch.Generator) -> list[torch.Tensor]:
    """[A = 0 (r x in), B ~ N(0, 1) (out x r)], the authors' init (see the module docstring)."""
    return [torch.zeros(rank, base.in_features), torch.randn(base.out_features, rank, generator=generator)]


def deep_lora_factors(base: nn.Linear, rank: int, init_scale: float, generator: torch.Generator,
                      depth: int = 3) -> list[torch.Tensor]:
    widths = [base.in_features] + [rank] * (depth - 1) + [base.out_features]
    return [orthogonal((widths[i + 1], widths[i]), init_scale, generator, torch.float32) for i in range(depth)]


def adapt(model: nn.Module, targets: str, method: str, rank: int, init_scale: float, seed: int,
          exclude: tuple[str, ...] = ()) -> list[str]:
    """Freeze ``model`` and wrap every linear layer named by ``TARGETS[targets]`` with an adapter of
    ``method`` (lora | deep_lora | deep_lora_full, the last at full width min(in, out), the start of
    the compressed variant), except names ending in one of ``exclude`` (layers the forward does not
    use). Returns the adapted module names, in order."""
    for p in model.parameters():
        p.requires_grad_(False)
    suffixes = TARGETS[targets]
    g = torch.Generator().manual_seed(seed)
    names = [n for n, m in model.named_modules() if isinstance(m, nn.Linear) and n.endswith(suffixes)
             and not (exclude and n.endswith(exclude))]
    for name in names:
        parent, _, child = name.rpartition(".")
        owner = model.get_submodule(parent)
        base = getattr(owner, child)
        if method == "lora":
            factors = lora_factors(base, rank, g)
        elif method == "deep_lora":
            factors = deep_lora_factors(base, rank, init_scale, g)
        elif method == "deep_lora_full":
            factors = deep_lora_factors(base, min(base.in_features, base.out_features), init_scale, g)
        else:
            raise ValueError(f"unknown adapter method {method!r}")
        setattr(owner, child, AdaptedLinear(base, [f.to(base.weight.device) for f in factors]))
    return names


def adapters(model: nn.Module) -> dict[str, AdaptedLinear]:
    return {n: m for n, m in model.named_modules() if isinstance(m, AdaptedLinear)}


def compress_adapters(model: nn.Module, loss: torch.Tensor, rank: int, init_scale: float) -> None:
    """Replace every full-width Deep LoRA adapter by its compressed width-2r factors, from the
    gradient of ``loss`` (one batch, at initialization) with respect to each first factor."""
    mods = adapters(model)
    grads = torch.autograd.grad(loss, [m.factors[0] for m in mods.values()])
    for (name, mod), g in zip(mods.items(), grads):
        fs = chain.compress([f.detach().double() for f in mod.factors], g.double(), rank, init_scale)
        mod.factors = nn.ParameterList(nn.Parameter(f.float()) for f in fs)
        mod.outer = True


def param_groups(model: nn.Module, lr: float, gamma: float, extra: list[nn.Parameter]) -> list[dict]:
    """Adapter factors at lr (outer factors of compressed adapters at gamma * lr) + ``extra`` (head)."""
    inner, outer = [], []
    for mod in adapters(model).values():
        i, o = chain.outer_split(mod.factors, mod.outer)
        inner += i
        outer += o
    groups = [{"params": inner + list(extra), "lr": lr}]
    if outer:
        groups.append({"params": outer, "lr": gamma * lr})
    return groups
