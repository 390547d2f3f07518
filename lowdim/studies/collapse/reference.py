"""The authors' numbers the collapse study sets beside its own.

Wang et al. 2023 (code: Heimine/PNC_DLN at 3183727, ``hybrid_mlp.ipynb``): per-layer compression
C_l = tr(Sigma_W) / tr(Sigma_B) (their ``nc1_tilde``, ``utility.py``) of layers 1..7 after training on
CIFAR-10. The notebook prints no number: the values are read off its two stored log-axis plots (cell 15:
the hybrid, cell 12: the MLP) by locating the tick rows and the marker centres in the decoded PNGs
(about +-2 % a value). Their setup (``train_cifar.py``, ``submit_job.sh``, ``partial_data.py``): width 1024,
bias-free layers, all 50,000 training images (5,000 a class), per-channel normalized and flattened,
400 epochs of SGD lr 1e-4 momentum 0.9 weight decay 1e-4, one cosine decay to lr/100, batch 128, MSE on
alpha x outputs (alpha 100 for the hybrid, 1 for the MLP), orthogonal init x 0.1; the features were
measured with BatchNorm in training mode (no ``model.eval()`` in the notebook). The MLP's checkpoint
folder matches no name the released script writes: its settings are not confirmed.
"""

from __future__ import annotations

#: model -> (C_1, ..., C_7) on CIFAR-10
WANG_CIFAR10_CL = {
    "hybrid": (17.3, 9.3, 2.32, 0.84, 0.141, 0.025, 0.0102),  # 3 Linear-BN-ReLU + 4 linear layers
    "mlp": (23.4, 12.7, 3.94, 1.27, 0.65, 0.95, 0.170),  # 7 Linear-BN-ReLU layers
}
WANG_SETUP = "width 1024, 50,000 images, 400 epochs"
WANG_SOURCE = "Wang et al. 2023 (PNC_DLN hybrid_mlp.ipynb, read off its plots)"


def paper_value() -> str:
    """The scorecard's "paper's number" for the nonlinear compression claim."""
    fmt = lambda v: ", ".join(f"{x:g}" for x in v)  # noqa: E731
    return (f"C_l = tr(Sigma_W)/tr(Sigma_B), layers 1-7 on CIFAR-10 ({WANG_SETUP}; {WANG_SOURCE}): hybrid "
            f"{fmt(WANG_CIFAR10_CL['hybrid'])}; all-nonlinear MLP {fmt(WANG_CIFAR10_CL['mlp'])} (rises at layer 6)")
