"""Which CLIP tokens a pixel head reads: named recipes of ``parts`` (``models.clip.vectorize``)."""

NATIVE = [1, 2, 3]
ALL_LAYERS = list(range(12))
# the global view's CLS and mean tokens: the heatmap's region head, and a recipe that needs view 0 only
REGION_PARTS = [
    {"views": [0], "pool": "cls", "layers": ALL_LAYERS},
    {"views": [0], "pool": "mean", "layers": ALL_LAYERS},
]
RECIPES = {
    # the plain probe: CLS of layers 4-9 of the 224 px view
    "probe": [{"views": [0], "pool": "cls", "layers": [4, 5, 6, 7, 8, 9]}],
    "global": [{"views": [0], "pool": "cls", "layers": ALL_LAYERS}],
    "global-full": REGION_PARTS,
    "native": [{"views": NATIVE, "pool": "cls", "layers": ALL_LAYERS}],
    "full": [
        *REGION_PARTS,
        {"views": NATIVE, "pool": "cls", "layers": ALL_LAYERS},
        {"views": NATIVE, "pool": "mean", "layers": ALL_LAYERS},
    ],
}
