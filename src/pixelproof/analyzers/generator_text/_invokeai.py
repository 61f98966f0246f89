"""InvokeAI, every version: ``invokeai_metadata``, the older ``sd-metadata`` and ``Dream`` commands."""

import shlex
from itertools import pairwise

from ._record import Generation, Texts, generation, parse_json, size_of


def invokeai(texts: Texts) -> Generation | None:
    keys = [k for k in ("invokeai_metadata", "invokeai_graph", "sd-metadata", "Dream") if k in texts]
    if not keys:
        return None
    meta = parse_json(texts.get("invokeai_metadata"))
    if isinstance(meta, dict):
        model = meta.get("model")
        return generation(
            "invokeai",
            keys,
            models=[(model.get("model_name") or model.get("name")) if isinstance(model, dict) else model],
            hints=[model.get("base_model") or model.get("base")] if isinstance(model, dict) else [],
            sampler=meta.get("scheduler"),
            steps=meta.get("steps"),
            seed=meta.get("seed"),
            cfg_scale=meta.get("cfg_scale"),
            size=size_of(meta.get("width"), meta.get("height")),
            prompt=meta.get("positive_prompt"),
            negative_prompt=meta.get("negative_prompt"),
            version=meta.get("app_version"),
        )
    legacy = parse_json(texts.get("sd-metadata"))
    if isinstance(legacy, dict):
        image = legacy.get("image") if isinstance(legacy.get("image"), dict) else {}
        prompt = image.get("prompt")
        if isinstance(prompt, list):
            prompt = " ".join(p.get("prompt", "") for p in prompt if isinstance(p, dict))
        return generation(
            "invokeai",
            keys,
            models=[legacy.get("model_weights")],
            sampler=image.get("sampler"),
            steps=image.get("steps"),
            seed=image.get("seed"),
            cfg_scale=image.get("cfg_scale"),
            size=size_of(image.get("width"), image.get("height")),
            prompt=prompt,
            version=legacy.get("app_version"),
        )
    if isinstance(texts.get("Dream"), str):
        return _dream(texts["Dream"], keys)
    graph = parse_json(texts.get("invokeai_graph"))
    models = []
    if isinstance(graph, dict) and isinstance(graph.get("nodes"), dict):
        for node in graph["nodes"].values():
            model = node.get("model") if isinstance(node, dict) else None
            if isinstance(model, dict):
                models.append(model.get("model_name") or model.get("name"))
    return generation("invokeai", keys, models=models)


_DREAM_OPTIONS = {"-s": "steps", "-S": "seed", "-W": "width", "-H": "height", "-C": "cfg_scale", "-A": "sampler"}


def _dream(command: str, keys: list[str]) -> Generation:
    """InvokeAI 2.x ``"prompt" -s 50 -S 42 -W 512 -H 768 -C 7.5 -A k_lms``."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    options = {_DREAM_OPTIONS[flag]: value for flag, value in pairwise(words[1:]) if flag in _DREAM_OPTIONS}
    return generation(
        "invokeai",
        keys,
        sampler=options.get("sampler"),
        steps=options.get("steps"),
        seed=options.get("seed"),
        cfg_scale=options.get("cfg_scale"),
        size=size_of(options.get("width"), options.get("height")),
        prompt=words[0] if words else None,
    )
