"""The data layer: a registry of datasets by name, prepared once into ``data/prepared``.

>>> from lowdim import data
>>> sorted(data.REGISTRY)  # doctest: +ELLIPSIS
['cifar10', 'digits', ...]
"""

from lowdim.data import aerial, cifar_images, downloaded, packaged  # noqa: F401  (registers the datasets)
from lowdim.data.fetch import RemoteFile, fetch, sha256
from lowdim.data.registry import REGISTRY, Context, DatasetSpec, get, load, prepare, spec_params

__all__ = ["REGISTRY", "Context", "DatasetSpec", "RemoteFile", "fetch", "get", "load", "prepare", "sha256", "spec_params"]
