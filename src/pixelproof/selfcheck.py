"""Every model's numerics self-check, and the pixel head's end to end, in one list.

``pixelproof models verify``, ``models fetch`` and the server at start call this; the
analyzers run the same checks themselves before their first score (models/numerics.py).
"""

from .analyzers.pixels_head import check as check_head
from .analyzers.pixels_head import load_head
from .errors import ModelMissing
from .models import ARTIFACTS, ModelTampered, load_path
from .models.clip import BACKBONE, load_backbone
from .models.numerics import Check, check
from .settings import Settings

HEAD = "pixels-head"


def run(settings: Settings) -> list[Check]:
    """One check per model file (``missing`` where it is not fetched), then the pixel head's."""
    results = []
    for name in ARTIFACTS:
        try:
            path = load_path(name, settings)
        except (ModelMissing, ModelTampered) as exc:
            results.append(Check(name, "missing", float("nan"), exc.message))
            continue
        results.append(check(name, path))
    clip = next(result for result in results if result.model == BACKBONE)
    if clip.ok:
        results.append(check_head(load_backbone(settings), load_head()[0], HEAD))
    else:
        results.append(Check(HEAD, "missing", float("nan"), f"it needs {BACKBONE}, which did not pass"))
    return results
