"""The parameters of params.yaml, one frozen dataclass per block; defaults = the embedded scale."""

from __future__ import annotations

from dataclasses import dataclass

from lowdim.specs.base import nested, param


@dataclass(frozen=True)
class DataGaussianMixture:
    classes: int = param(3, 'number of classes K')
    dim: int = param(50, 'input dimension d')
    per_class: int = param(10, 'samples per class n')
    noise: float = param(0.1, 'within-class noise std relative to the unit-norm means')
    seed: int = param(0, 'generator seed')


@dataclass(frozen=True)
class DataLowrank:
    dim: int = param(100, 'the matrix is dim x dim')
    rank: int = param(5, 'rank r of the ground truth')
    observed: float = param(0.3, 'fraction of observed entries')
    seed: int = param(0, 'generator seed')


@dataclass(frozen=True)
class DataOverhead:
    size: int = param(32, 'tile side in pixels (a multiple of 2**rhm.model.depth)')
    train: int = param(256, 'labelled source tiles (and labelled tiles per target domain, for the oracle)')
    test: int = param(128, 'test tiles per domain')
    unlabelled: int = param(128, 'unlabelled tiles per target domain (the references of RHM)')
    targets: int = param(3, 'target domains (imaging models)')
    strength: float = param(1.0, 'how far the target imaging models are from the source (0: none, 1: strong)')
    seed: int = param(0, 'generator seed')


@dataclass(frozen=True)
class DataInria:
    source: tuple[str, ...] = param(('austin', 'chicago'), 'labelled training cities (the source domain)')
    targets: tuple[str, ...] = param(('kitsap', 'tyrol-w', 'vienna'), 'held-out cities, one target domain each')
    images: int = param(36, 'images per city read (36: all)')
    tiles_per_image: int = param(32, 'random tiles cut from each image')
    size: int = param(256, 'tile side in pixels')
    seed: int = param(0, 'seed of the tile positions and splits')


@dataclass(frozen=True)
class DataInriaSpacenet:
    size: int = param(32, 'patch side in pixels at the common ground sampling distance (Inria 1024: 1.46 m)')
    block: int = param(2, 'a split block is block x block patches; every block belongs to one split')
    train: int = param(256, 'labelled Austin patches (source) and labelled oracle patches per target (at most)')
    test: int = param(128, 'test patches per domain (at most: Rio has fewer)')
    unlabelled: int = param(128, 'unlabelled patches per target (the references of RHM; at most)')
    seed: int = param(0, 'seed of the block assignment and the patch subsets')


@dataclass(frozen=True)
class Data:
    mirror: str | None = param(None, 'Folder holding staged raw files (same layout as ../shared/data); $LOWDIM_DATA_MIRROR overrides.')
    download: bool = param(True, 'Allow downloads from the canonical URLs when a file is not in the mirror.')
    gaussian_mixture: DataGaussianMixture = nested(DataGaussianMixture, 'Nearly-orthogonal Gaussian-mixture classification data (Wang et al. 2023).')
    lowrank: DataLowrank = nested(DataLowrank, 'Low-rank matrix completion data (Yaras et al. 2024).')
    overhead: DataOverhead = nested(DataOverhead, 'Procedural overhead scenes with building masks, per-domain imaging models (rhm).')
    inria: DataInria = nested(DataInria, 'Inria Aerial Image Labeling tiles (rhm, paper config; staged in the mirror).')
    inria_spacenet: DataInriaSpacenet = nested(DataInriaSpacenet, 'Real tiles from the mirror: Inria Austin (source) -> Vienna and SpaceNet-1 Rio (rhm).')


@dataclass(frozen=True)
class ResourcesTrain:
    gpu: int = param(0, 'GPUs per training job')
    mem_mb: int = param(4000, 'memory per training job in MB')
    runtime: int = param(30, 'wall-clock limit per training job in minutes')
    cpus: int = param(1, 'CPU threads per training job')


@dataclass(frozen=True)
class Resources:
    train: ResourcesTrain = nested(ResourcesTrain, 'resources of the training jobs (sbatch maps gpu, mem_mb, runtime, cpus)')


@dataclass(frozen=True)
class CollapseModel:
    arch: str = param('mlp', 'backbone architecture')
    depth: int = param(4, 'hidden layers (mlp), ReLU layers (hybrid), conv stages (vgg); unused by resnet18')
    width: int = param(256, 'hidden width (mlp, hybrid), base channels (vgg); unused by resnet18')
    linear_depth: int = param(0, 'linear layers after the ReLU layers (hybrid only; 0 otherwise)')
    batch_norm: bool = param(True, 'batch norm after each hidden layer / conv')
    loss: str = param('ce', 'cross-entropy')
    lr: float = param(0.05, 'initial learning rate of this model')
    weight_decay: float = param(0.0, 'L2 weight decay of the optimizer on every parameter')
    feature_decay: float = param(0.0001, 'standard head only: decay/2 (|W|^2 + sum_batch |h|^2) added to the loss (Yaras et al. 2022)')
    init_scale: float | None = param(None, "null: PyTorch's default init; a number: every linear weight orthogonal times it (Wang et al.: 0.1)")
    output_scale: float = param(1.0, 'the loss sees output_scale * logits (Wang et al.: 100)')
    head_bias: bool = param(True, "standard head with a bias (Wang et al.'s head has none)")
    schedule: str = param('step', 'step: lr x0.1 at train.milestones (Papyan et al.); cosine: to lr * train.lr_min_ratio (Wang et al.)')
    heads: tuple[str, ...] = param(('standard', 'normalized'), 'Heads this model is trained with: standard linear, or normalized (features and rows on the unit sphere).')
    fit_from: int = param(2, 'first layer of the across-layer fits (Wang et al. claim the geometric pattern for later layers)')


@dataclass(frozen=True)
class CollapseTrain:
    epochs: int = param(60, 'training epochs')
    batch_size: int = param(128, 'minibatch size')
    optimizer: str = param('sgd', 'optimizer (sgd: SGD with momentum, as the papers)')
    momentum: float = param(0.9, 'SGD momentum')
    milestones: tuple[float, ...] = param((0.333, 0.667), 'step schedule: lr x0.1 at these fractions of the epochs (Papyan et al.: 1/3 and 2/3)')
    lr_min_ratio: float = param(0.01, 'cosine schedule: final lr = lr x this')
    checkpoint_every: int = param(10, 'epochs between checkpoints')
    eval_every: int = param(5, 'epochs between NC1-NC4 / accuracy measurements')


@dataclass(frozen=True)
class CollapseFeatures:
    batch_size: int = param(1000, 'batch size of the streaming feature pass')
    max_gram_dim: int = param(4096, 'layers up to this width get a numerical rank (d x d Gram); wider conv maps are pooled for probes')


@dataclass(frozen=True)
class CollapseUmap:
    samples: int = param(1000, 'training samples embedded')
    layers: int = param(3, 'number of layers shown (evenly spaced')
    neighbors: int = param(15, 'UMAP n_neighbors')


@dataclass(frozen=True)
class CollapseTransfer:
    source_classes: tuple[int, ...] = param((0, 1, 2, 3, 4), 'Classes the transfer models train on; their layers are probed on the remaining classes.')


@dataclass(frozen=True)
class Collapse:
    datasets: tuple[str, ...] = param(('mnist5k', 'mnist1d'), "Datasets to train on (names from lowdim.data's registry).")
    seeds: tuple[int, ...] = param((0,), 'Training seeds; each (dataset, model, head, seed) is one run.')
    models: dict[str, CollapseModel] = param(
        {"mlp": CollapseModel(),
         "hybrid": CollapseModel(arch="hybrid", depth=3, width=256, linear_depth=4, loss="mse", lr=1.0e-3, weight_decay=1.0e-4,
                                 feature_decay=0.0, init_scale=0.1, output_scale=100.0, head_bias=False, schedule="cosine",
                                 heads=("standard",), fit_from=2)},
        "Named model specs; every one is trained on every dataset (names are lowercase words).")
    temperature: float = param(1.0, 'Temperature of the normalized head (logits = cos / temperature + bias).')
    train: CollapseTrain = nested(CollapseTrain, 'the training loop shared by every model')
    features: CollapseFeatures = nested(CollapseFeatures, 'the streaming feature pass')
    umap: CollapseUmap = nested(CollapseUmap, 'the UMAP figure')
    transfer: CollapseTransfer = nested(CollapseTransfer, 'the transfer experiment (train on some classes, probe the others)')


@dataclass(frozen=True)
class DlnProgressiveData:
    classes: int = param(3, 'number of classes K (consecutive blocks of samples)')
    dim: int = param(50, 'input dimension d')
    samples: int = param(30, 'samples N (a multiple of classes)')
    perturbation: float = param(1.0, 'Frobenius norm of the Gaussian perturbation of the orthonormal samples')


@dataclass(frozen=True)
class DlnProgressive:
    data: DlnProgressiveData = nested(DlnProgressiveData, "The authors' orthogonal_dataset, one draw per seed.")
    depths: tuple[int, ...] = param((4, 5, 6, 8), 'numbers of hidden layers (a linear head follows)')
    activations: tuple[str, ...] = param(('linear',), 'activations')
    width: int = param(50, 'hidden width')
    init_scale: float = param(0.3, 'orthogonal init times this')
    output_scale: float = param(100.0, 'the loss sees output_scale * z (the authors: 100)')
    lr: float = param(0.1, 'GD learning rate')
    lr_min: float = param(0.01, 'cosine schedule ends at this lr')
    epochs: int = param(5000, 'cap on GD epochs')
    tol: float = param(1e-11, "stop when every seed's loss is below this")
    loss: str = param('mse', 'mse (their sum |100 z - e_y|^2 / N)')
    record_every: int = param(10, 'epochs between recorded losses')
    checkpoint_every: int = param(500, 'epochs between checkpoints')


@dataclass(frozen=True)
class DlnInvariant:
    dim: int = param(30, 'target is dim x dim')
    rank: int = param(3, 'rank r of the target')
    depth: int = param(3, 'layers L')
    init_scale: float = param(1.0, 'orthogonal init times this')
    steps: int = param(100, 'optimizer steps')
    samples: int = param(300, 'columns of the generic (non-whitened) input X')
    inputs: tuple[str, ...] = param(('whitened', 'generic'), 'whitened (X = I) and/or generic (Gaussian X)')
    optimizers: dict[str, float] = param({'gd': 0.2, 'momentum': 0.02, 'adam': 0.005, 'rmsprop': 0.005}, 'optimizer -> learning rate')


@dataclass(frozen=True)
class DlnCompressed:
    dim: int = param(200, 'target is dim x dim')
    rank: int = param(5, 'rank r of the target (compressed width 2r)')
    depth: int = param(3, 'layers L')
    init_scale: float = param(0.01, 'epsilon of the orthogonal init')
    lr: float = param(0.5, 'GD learning rate')
    gamma: float = param(0.0, 'outer factors of the compressed network train at gamma * lr')
    tol: float = param(1e-09, 'stop at this loss')
    max_steps: int = param(5000, 'a cap on GD steps')
    record_every: int = param(10, 'iterations between recorded errors')


@dataclass(frozen=True)
class Dln:
    seeds: tuple[int, ...] = param((0, 1, 2), 'Seeds; progressive jobs train all of them as one batched network, the others use the first.')
    progressive: DlnProgressive = nested(DlnProgressive, 'Per-layer compression/discrimination of DLNs trained by full-batch GD on nearly orthonormal samples (Wang et al. 2023).')
    invariant: DlnInvariant = nested(DlnInvariant, 'GD on a DLN fitting a rank-r target; spectra and subspaces over iterations.')
    compressed: DlnCompressed = nested(DlnCompressed, 'Full width vs compressed width-2r vs narrow random network on a fully observed rank-r target.')


@dataclass(frozen=True)
class CompletionDepthWidth:
    dim: int = param(100, 'the matrix is dim x dim')
    rank: int = param(10, 'rank r of the ground truth')
    observed: float = param(0.3, 'fraction of entries observed')
    depths: tuple[int, ...] = param((2, 3), 'depths')
    lr: tuple[float, ...] = param((100.0, 300.0), 'learning rate of each depth (same length as depths)')
    widths: tuple[int, ...] = param((10, 25, 50, 100), 'widths')
    init_scale: float = param(0.01, 'orthogonal init scale eps (theirs 1e-3)')
    max_steps: int = param(6000, 'a cap on GD steps (a run that hits it is censored)')
    record_every: int = param(50, 'GD steps per logged row')
    tol: float = param(1e-10, "stop when every seed's train loss is below this")


@dataclass(frozen=True)
class CompletionSpeed:
    dim: int = param(200, 'the matrix is dim x dim (theirs 1000)')
    rank: int = param(5, 'rank r of the ground truth')
    observed: float = param(0.2, 'fraction of observed entries')
    depth: int = param(3, 'factors L')
    init_scale: float = param(0.001, 'orthogonal init scale eps')
    lr: float = param(1000.0, 'GD learning rate (full and compressed)')
    shallow_lr: float | None = param(None, 'learning rate of the depth-2 full-width baseline (null: left out)')
    gammas: tuple[float, ...] = param((0.01,), 'outer factors of the compressed network train at gamma * lr')
    ranks: tuple[int, ...] = param((5,), 'compressed and narrow networks have width 2 * rank')
    als_ridge: float = param(1e-06, 'alternating minimization: ridge')
    als_iterations: int = param(30, 'alternating minimization: iterations')
    max_steps: int = param(30000, 'a cap on GD steps (censored)')
    record_every: int = param(50, 'GD steps per logged row')
    tol: float = param(1e-10, "stop when every seed's train loss is below this")
    reach_error: float = param(0.0001, 'speed-ups compare the seconds to reach this test error')


@dataclass(frozen=True)
class CompletionMovielens:
    test_fraction: float = param(0.2, 'held-out fraction of the ratings')
    split_seed: int = param(0, 'seed of the first train/test split (and of its init)')
    splits: int = param(1, 'seeded 80/20 splits: split_seed, split_seed + 1, ...')
    depth: int = param(3, 'factors L')
    width: int | None = param(None, 'null = min(users')
    init_scale: float = param(0.1, 'orthogonal init scale eps')
    lr: float = param(1300.0, 'GD learning rate')
    gamma: float = param(0.01, 'compressed: outer factors train at gamma * lr')
    rank: int = param(10, 'compressed width is 2 * rank')
    als_rank: int = param(5, 'alternating minimization: rank')
    als_ridge: float = param(5.0, 'alternating minimization: ridge')
    als_iterations: int = param(20, 'alternating minimization: iterations')
    max_steps: int = param(450, 'GD steps')
    record_every: int = param(20, 'GD steps per logged row')
    reach_rmse: float = param(0.96, 'speed-ups compare the seconds to reach this test RMSE')


@dataclass(frozen=True)
class Completion:
    seeds: tuple[int, ...] = param((0, 1, 2), 'Seeds (target, mask and init); depth_width and speed stack them, movielens uses the first.')
    depth_width: CompletionDepthWidth = nested(CompletionDepthWidth, 'Synthetic completion, test error vs width per depth.')
    speed: CompletionSpeed = nested(CompletionSpeed, 'Full width vs compressed vs narrow vs shallow vs alternating minimization at one setting.')
    movielens: CompletionMovielens = nested(CompletionMovielens, 'MovieLens-100K, seeded split; deep full width vs deep compressed vs ALS.')


@dataclass(frozen=True)
class AdaptLr:
    lora: float = param(1.0e-4, 'LoRA')
    deep_lora: float = param(1.0e-4, 'Deep LoRA')
    deep_lora_compressed: float = param(1.0e-4, 'compressed Deep LoRA')


@dataclass(frozen=True)
class Adapt:
    model: str = param('minilm', 'minilm (bundled, offline) or a Hugging Face hub id')
    targets: str = param('all', 'which linear layers get adapters')
    train_head: bool = param(False, 'train the new regression head too (the authors train only the adapters)')
    methods: tuple[str, ...] = param(('lora', 'deep_lora'), 'lora | deep_lora | deep_lora_compressed')
    seeds: tuple[int, ...] = param((0,), 'a seed fixes the n-pair subset, the head and the adapter init')
    samples: tuple[int, ...] = param((16,), 'n of the samples sweep (at rank)')
    rank: int = param(8, 'adapter rank of the samples sweep')
    ranks: tuple[int, ...] = param((), 'ranks of the rank sweep (at n = rank_samples; empty: no sweep)')
    rank_samples: int = param(16, 'n of the rank sweep')
    init_scale: float = param(0.001, 'Deep LoRA: orthogonal init scale')
    gamma: float = param(0.01, 'compressed Deep LoRA: outer factors train at gamma * lr')
    lr: AdaptLr = nested(AdaptLr, 'AdamW learning rate of each method')
    lr_decay: str = param('none', 'linear (to 0 at the last step) | none')
    batch_size: int = param(16, 'pairs per step')
    steps: int = param(150, 'optimizer steps')
    eval_every: int = param(75, 'steps between dev evaluations')
    early_step: int = param(75, 'Delta W subspaces at this step vs the last')
    max_length: int = param(48, 'tokens per pair; longer training pairs are left out')
    dev_samples: int = param(200, 'a fixed subset of the dev pairs (1500: all)')
    spectrum_top: int = param(16, 'singular values of Delta W recorded per layer')
    pooling: str = param('mean', "what the head reads: pooler (the model's [CLS] pooler, the authors') | mean (masked mean of the last hidden states)")
    precision: str = param('auto', 'auto (bf16 where the device multiplies bfloat16 natively: GPUs, AMX / AVX512-BF16 CPUs; else fp32) | bf16 (autocast: frozen matmuls in bfloat16, fp32 adapters and optimizer) | fp32')
    attention: str = param('eager', 'eager (explicit softmax(QK^T)V, as Flax BERT; fastest on CPU) | sdpa (fused kernels: GPUs)')


@dataclass(frozen=True)
class RhmModel:
    depth: int = param(2, 'U-Net down/up levels')
    width: int = param(16, 'channels of the first level (doubled per level)')


@dataclass(frozen=True)
class RhmTrain:
    epochs: int = param(8, 'training epochs')
    batch_size: int = param(32, 'tiles per step')
    lr: float = param(1.0e-3, 'Adam learning rate')


@dataclass(frozen=True)
class RhmJitter:
    brightness: float = param(0.4, 'brightness factor drawn from [1 - b, 1 + b]')
    contrast: float = param(0.4, 'contrast factor drawn from [1 - c, 1 + c]')
    saturation: float = param(0.4, 'saturation factor drawn from [1 - s, 1 + s]')
    hue: float = param(0.05, 'hue shift drawn from [-h, h]')
    gamma: float = param(0.5, 'gamma drawn log-uniformly from [1 / (1 + g), 1 + g]')


@dataclass(frozen=True)
class RhmInvariance:
    strengths: tuple[float, ...] = param((0.0, 0.25, 0.5, 0.75, 1.0), 'strengths of the random monotone transformations')
    transforms: int = param(4, 'random transformations per strength')
    seed: int = param(100, 'seed of the transformations (the same for every method and seed)')


@dataclass(frozen=True)
class Rhm:
    datasets: tuple[str, ...] = param(('inria_spacenet',), 'data sources, each a study of its own (claims per source): inria_spacenet (real: Austin -> Vienna, Rio) | overhead (procedural scenes) | inria (the full Inria layout, paper config)')
    methods: tuple[str, ...] = param(('none', 'jitter', 'histeq', 'grayworld', 'rhm', 'oracle'), 'none | jitter | histeq | grayworld | rhm | oracle')
    seeds: tuple[int, ...] = param((0, 1, 2), 'a seed fixes the init and the batch order')
    model: RhmModel = nested(RhmModel, 'the U-Net')
    train: RhmTrain = nested(RhmTrain, 'training (the same budget for every method)')
    jitter: RhmJitter = nested(RhmJitter, 'the photometric jitter baseline (torchvision ColorJitter + gamma)')
    invariance: RhmInvariance = nested(RhmInvariance, 'IoU under random pixel-wise transformations of the source test set')


@dataclass(frozen=True)
class Claims:
    nc1_drop: float = param(10.0, 'NC1 falls at least this factor from the initialization to the last evaluation')
    transfer_layers: int = param(3, "last hidden layers of the transfer claim's rank correlation")
    fit_r2: float = param(0.9, 'R^2 of the geometric-compression / linear-discrimination fits across layers')
    parsimony_angle: float = param(1e-06, 'radians the supposedly fixed singular subspace may move')
    trajectory_tol: float = param(0.0001, 'compressed vs full DLN end-to-end trajectory (relative)')
    depth_gap: float = param(10.0, 'depth-2 / depth-3 completion test error at the largest width')
    completion_error: float = param(0.001, 'compressed and full-width completion reach this relative test error')
    rmse_tol: float = param(0.01, "MovieLens: compressed best test RMSE within this of full width's")


@dataclass(frozen=True)
class Params:
    scale: str = param('embedded', 'Which study scale this file describes (embedded = CPU minutes, medium = under an hour on CPU, paper = GPU/cluster); each writes results/<scale>/.')
    device: str = param('auto', 'Where training runs; auto picks CUDA when present, else CPU.')
    data: Data = nested(Data, 'datasets and their generators')
    resources: Resources = nested(Resources, 'Cluster resources of the heavy rules (used by the slurm profile; ignored locally except cpus).')
    collapse: Collapse = nested(Collapse, 'The neural-collapse study (Papyan et al. 2020; Yaras et al. 2022; Wang et al. 2023).')
    dln: Dln = nested(Dln, 'Deep linear networks (Wang et al. 2023; Yaras et al. 2023, the law of parsimony).')
    completion: Completion = nested(Completion, 'Deep low-rank matrix completion (Yaras et al. ICML 2024).')
    adapt: Adapt = nested(Adapt, 'Deep LoRA vs LoRA, few-shot fine-tuning on GLUE STS-B (Yaras et al. ICML 2024).')
    rhm: Rhm = nested(Rhm, 'Randomized histogram matching: segmentation under pixel-wise domain shift (Yaras et al. 2024).')
    claims: Claims = nested(Claims, 'Thresholds of the reproduction scorecard (lowdim/claims.py).')
