"""Generator families, and the mapping from the names files and manifests use to them.

One vocabulary for every analyzer (pixel model, C2PA, metadata, generator text chunks), so
the report names a family the same way whatever found it. The compat adapters translate
these families (and the ``detail`` name) into their own generator fields.
"""

import re

FAMILIES = ("openai", "google", "midjourney", "stable_diffusion", "flux", "gan", "other")
UNKNOWN = "unknown"

# Checked in order: the first pattern that matches decides (e.g. "flux" before SD-ish names).
_PATTERNS: tuple[tuple[str, str], ...] = (
    ("openai", r"dall[\s\-_·.]*e|gpt[\s\-_]*image|gpt[\s\-_]*4o|chatgpt|\bsora\b|openai|image\s*creator|bing\s*image"),
    ("google", r"imagen|gemini|nano[\s\-_]*banana|google\s*ai|\bbard\b|synthid"),
    ("midjourney", r"midjourney|\bniji\b"),
    ("flux", r"\bflux|schnell|kontext|\bchroma"),
    ("gan", r"stylegan|biggan|progan|\bgan\b|this\s*person\s*does\s*not\s*exist"),
    (
        "stable_diffusion",
        r"stable[\s\-_]*diffusion|stable[\s\-_]*cascade|\bsd[\s\-_]?(?:1|2|3|xl)|sdxl|sd_xl|v1-5|v2-1"
        r"|\bpony|illustrious|noobai|animagine|juggernaut|dreamshaper|realistic[\s_]*vision|\bldm\b"
        r"|anything[\s\-_]*v\d|orange[\s\-_]*mix|\baom\d|waifu[\s\-_]*diffusion|\bwd[\s\-_](?:1|illusion)|cosxl"
        r"|majicmix|deliberate|chilloutmix|counterfeit|meinamix|epicrealism|512-inpainting",
    ),
    (
        "other",
        r"firefly|ideogram|\bgrok\b|aurora|\bxai\b|hidream|qwen[\s\-_]*image|hunyuan|kandinsky|pixart"
        r"|aura[\s\-_]*flow|lumina|playground|craiyon|novelai|leonardo|recraft|seedream|z[\s\-_]*image|cosmos|omnigen",
    ),
)
_COMPILED = tuple((family, re.compile(pattern, re.IGNORECASE)) for family, pattern in _PATTERNS)


def family_for(name: str | None) -> str:
    """The family a model, product or tool name belongs to, or ``unknown``."""
    if not name:
        return UNKNOWN
    for family, pattern in _COMPILED:
        if pattern.search(name):
            return family
    return UNKNOWN
