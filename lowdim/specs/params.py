"""The parameters of params.yaml: the blocks every study shares (data, resources, the scorecard's thresholds)
and :data:`Params`, the whole file, assembled from the study registry (each study's block is its
``lowdim/studies/<study>/params.py``). Defaults = the embedded scale; ranges and choices on each field."""

from __future__ import annotations

from dataclasses import dataclass, make_dataclass
from functools import lru_cache

from lowdim.specs.base import nested, param


@dataclass(frozen=True)
class DataGaussianMixture:
    classes: int = param(3, 'number of classes K', minimum=2, maximum=1000)
    dim: int = param(50, 'input dimension d', minimum=2, maximum=100000)
    per_class: int = param(10, 'samples per class n', minimum=1, maximum=100000)
    noise: float = param(0.1, 'within-class noise std relative to the unit-norm means', minimum=0, maximum=100)
    seed: int = param(0, 'generator seed', minimum=0)


@dataclass(frozen=True)
class DataLowrank:
    dim: int = param(100, 'the matrix is dim x dim', minimum=2, maximum=100000)
    rank: int = param(5, 'rank r of the ground truth', minimum=1, maximum=100000)
    observed: float = param(0.3, 'fraction of observed entries', exclusive_minimum=0, maximum=1)
    seed: int = param(0, 'generator seed', minimum=0)


@dataclass(frozen=True)
class DataOverhead:
    size: int = param(32, 'tile side in pixels (a multiple of 2**rhm.model.depth)', minimum=8, maximum=4096)
    train: int = param(256, 'labelled source tiles (and labelled tiles per target domain, for the oracle)', minimum=8, maximum=1000000)
    test: int = param(128, 'test tiles per domain', minimum=8, maximum=1000000)
    unlabelled: int = param(128, 'unlabelled tiles per target domain (the references of RHM)', minimum=1, maximum=1000000)
    targets: int = param(3, 'target domains (imaging models)', minimum=1, maximum=20)
    strength: float = param(1.0, 'how far the target imaging models are from the source (0: none, 1: strong)', minimum=0, maximum=1)
    seed: int = param(0, 'generator seed', minimum=0)


@dataclass(frozen=True)
class DataInria:
    source: tuple[str, ...] = param(('austin', 'chicago'), 'labelled training cities (the source domain)', min_items=1, items={'enum': ['austin', 'chicago', 'kitsap', 'tyrol-w', 'vienna']})
    targets: tuple[str, ...] = param(('kitsap', 'tyrol-w', 'vienna'), 'held-out cities, one target domain each', min_items=1, items={'enum': ['austin', 'chicago', 'kitsap', 'tyrol-w', 'vienna']})
    images: int = param(36, 'images per city read (36: all)', minimum=1, maximum=36)
    tiles_per_image: int = param(32, 'random tiles cut from each image', minimum=1)
    size: int = param(256, 'tile side in pixels', minimum=8, maximum=5000)
    seed: int = param(0, 'seed of the tile positions and splits', minimum=0)


@dataclass(frozen=True)
class DataInriaSpacenet:
    size: int = param(32, 'patch side in pixels at the common ground sampling distance (Inria 1024: 1.46 m)', minimum=8, maximum=512)
    block: int = param(2, 'a split block is block x block patches; every block belongs to one split', minimum=1, maximum=32)
    train: int = param(256, 'labelled Austin patches (source) and labelled oracle patches per target (at most)', minimum=8, maximum=1000000)
    test: int = param(128, 'test patches per domain (at most: Rio has fewer)', minimum=8, maximum=1000000)
    unlabelled: int = param(128, 'unlabelled patches per target (the references of RHM; at most)', minimum=1, maximum=1000000)
    seed: int = param(0, 'seed of the block assignment and the patch subsets', minimum=0)


@dataclass(frozen=True)
class DataCifar10Jpeg:
    per_class: int = param(5000, 'training images per class, the first in canonical order (5000: all)', minimum=1, maximum=5000)
    test_per_class: int = param(1000, 'test images per class, the first in canonical order (1000: all)', minimum=1, maximum=1000)


@dataclass(frozen=True)
class Data:
    mirror: str | None = param(None, 'Folder holding staged raw files (same layout as ../shared/data); $LOWDIM_DATA_MIRROR overrides.')
    download: bool = param(True, 'Allow downloads from the canonical URLs when a file is not in the mirror.')
    gaussian_mixture: DataGaussianMixture = nested(DataGaussianMixture, 'Nearly-orthogonal Gaussian-mixture classification data (Wang et al. 2023).')
    lowrank: DataLowrank = nested(DataLowrank, 'Low-rank matrix completion data (Yaras et al. 2024).')
    overhead: DataOverhead = nested(DataOverhead, 'Procedural overhead scenes with building masks, per-domain imaging models (rhm).')
    inria: DataInria = nested(DataInria, 'Inria Aerial Image Labeling tiles (rhm, paper config; staged in the mirror).')
    cifar10_jpeg: DataCifar10Jpeg = nested(DataCifar10Jpeg, 'CIFAR-10 as JPEG images from the mirror (all 60,000, or the first n per class).')
    inria_spacenet: DataInriaSpacenet = nested(DataInriaSpacenet, 'Real tiles from the mirror: Inria Austin (source) -> Vienna and SpaceNet-1 Rio (rhm).')


@dataclass(frozen=True)
class ResourcesTrain:
    gpu: int = param(0, 'GPUs per training job', minimum=0, maximum=16)
    mem_mb: int = param(4000, 'memory per training job in MB', minimum=100)
    runtime: int = param(30, 'wall-clock limit per training job in minutes', minimum=1)
    cpus: int = param(1, 'CPU threads per training job', minimum=1, maximum=256)


@dataclass(frozen=True)
class Resources:
    train: ResourcesTrain = nested(ResourcesTrain, 'resources of the training jobs (sbatch maps gpu, mem_mb, runtime, cpus)')


@dataclass(frozen=True)
class Claims:
    nc1_drop: float = param(10.0, 'NC1 falls at least this factor from the initialization to the last evaluation', minimum=1)
    transfer_layers: int = param(3, "last hidden layers of the transfer claim's rank correlation", minimum=3, maximum=64)
    fit_r2: float = param(0.9, 'R^2 of the geometric-compression / linear-discrimination fits across layers', minimum=0, maximum=1)
    parsimony_angle: float = param(1e-06, 'radians the supposedly fixed singular subspace may move', minimum=0)
    trajectory_tol: float = param(0.0001, 'compressed vs full DLN end-to-end trajectory (relative)', exclusive_minimum=0)
    depth_gap: float = param(10.0, 'depth-2 / depth-3 completion test error at the largest width', minimum=1)
    completion_error: float = param(0.001, 'compressed and full-width completion reach this relative test error', exclusive_minimum=0)
    rmse_tol: float = param(0.01, "MovieLens: compressed best test RMSE within this of full width's", minimum=0)


#: the keys of params.yaml that are not a study's block: (name, type, field), in file order
COMMON = (
    ("scale", str, param('embedded', 'Which study scale this file describes (embedded = CPU minutes, medium = under an hour '
                         'on CPU, paper = GPU/cluster, rehearsal = every paper job cut to a few steps on CPU, with stand-ins); '
                         'each writes results/<scale>/.', enum=['embedded', 'medium', 'paper', 'rehearsal'])),
    ("device", str, param('auto', 'Where training runs; auto picks CUDA when present, else CPU.', enum=['auto', 'cpu', 'cuda'])),
    ("data", Data, nested(Data, 'datasets and their generators')),
    ("resources", Resources, nested(Resources, 'Cluster resources of the heavy rules (used by the slurm profile; ignored '
                                    'locally except cpus).')),
)


@lru_cache(maxsize=None)
def params_class() -> type:
    """The dataclass of the whole params file: the common keys, one block per registered study (its ``PARAMS``,
    described by its docstring) and the scorecard's thresholds."""
    from lowdim.studies import STUDIES, study

    blocks = [(s, study(s).PARAMS, nested(study(s).PARAMS, (study(s).PARAMS.__doc__ or s).strip())) for s in STUDIES]
    claims = ("claims", Claims, nested(Claims, 'Thresholds of the reproduction scorecard (lowdim/studies/<study>/claims.py).'))
    return make_dataclass("Params", [*COMMON, *blocks, claims], frozen=True, namespace={"__module__": __name__,
                          "__doc__": "Every key of params.yaml (lowdim.specs.schema writes its JSON schema)."})


def __getattr__(name: str):
    """``Params`` is built on first use: the study packages import this package's base module while loading."""
    if name == "Params":
        return params_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
