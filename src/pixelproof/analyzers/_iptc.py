"""The IPTC Digital Source Type vocabulary, read the same way by every analyzer.

A producer declares how an image came about with one term of
https://cv.iptc.org/newscodes/digitalsourcetype/ — in a C2PA action or in XMP
(``Iptc4xmpExt:DigitalSourceType``). One table here, so that the c2pa and metadata analyzers
cannot disagree on what a term means; each decides only how much its own carrier is worth.

Two readings matter and are easy to get wrong:

- ``algorithmicMedia`` is IPTC's "pure algorithmic media": made by an algorithm *not* based on
  sampled training data (a fractal, a procedural test card, a rendered chart). Synthetic, but
  not generative AI, and no capture either: it is evidence for neither side. Generative AI is
  ``trainedAlgorithmicMedia``. For the same reason ``compositeSynthetic`` (a composite with at
  least one synthetic element, AI or not: a photo on a rendered background) says nothing of AI;
  a composite with AI elements is ``compositeWithTrainedAlgorithmicMedia``.
- Capture means sampled from real life: a camera (``digitalCapture``, a phone's merged frames
  ``computationalCapture``), film or print scanned, or a composite of such captures. A screen
  capture or a virtual recording is not.

Not a registered analyzer: the registry imports it and finds nothing to register.
"""

from typing import Literal

NAMESPACE = "http://cv.iptc.org/newscodes/digitalsourcetype/"

Origin = Literal["ai", "ai_part", "capture", "other"]

# Every term of the vocabulary (2024-Q3 release), retired ones included since files keep them.
ORIGINS: dict[str, Origin] = {
    "trainedAlgorithmicMedia": "ai",  # made by a model trained on sampled content: generative AI
    "compositeWithTrainedAlgorithmicMedia": "ai_part",  # a composite with generative-AI elements (in-/outpainting)
    "compositeSynthetic": "other",  # a composite with synthetic elements, AI or not: see the module docstring
    "digitalCapture": "capture",
    "computationalCapture": "capture",  # several frames merged on the device (HDR, night modes)
    "negativeFilm": "capture",
    "positiveFilm": "capture",
    "print": "capture",
    "compositeCapture": "capture",  # a composite whose elements are all captures
    "algorithmicMedia": "other",  # pure algorithm, no training data: see the module docstring
    "algorithmicallyEnhanced": "other",  # a capture or creation retouched by an algorithm (e.g. denoise)
    "humanEdits": "other",
    "minorHumanEdits": "other",  # retired for humanEdits
    "digitalCreation": "other",  # made by a person with digital tools
    "digitalArt": "other",  # retired for digitalCreation
    "dataDrivenMedia": "other",  # data rendered by a program (a weather map)
    "screenCapture": "other",
    "virtualRecording": "other",  # a recording of a virtual scene (a video game)
    "composite": "other",  # elements of unstated origin
}

AI_GENERATED = frozenset(t for t, origin in ORIGINS.items() if origin == "ai")
AI_PART = frozenset(t for t, origin in ORIGINS.items() if origin == "ai_part")
CAPTURE = frozenset(t for t, origin in ORIGINS.items() if origin == "capture")


def term(value: str | None) -> str | None:
    """The term of a declared value, which is usually the full cv.iptc.org URI."""
    return value.rstrip("/").rpartition("/")[2] if value else None
