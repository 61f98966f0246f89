"""ComfyUI: the ``prompt`` graph (and ``workflow``) a save node writes; models from loader nodes,
prompts followed through links."""

import re
from typing import Any

from ._record import Generation, Texts, generation, parse_json, size_of

_MODEL_INPUTS = ("ckpt_name", "unet_name")
_LOADER = re.compile(r"checkpoint|unet|diffusion", re.IGNORECASE)


def comfyui(texts: Texts) -> Generation | None:
    graph = parse_json(texts.get("prompt"))
    if is_graph(graph):  # the API graph says all we need; the UI workflow is parsed only without it
        return _comfyui_graph(graph, [key for key in ("prompt", "workflow") if key in texts])
    workflow = parse_json(texts.get("workflow"))
    if isinstance(workflow, dict) and isinstance(workflow.get("nodes"), list):
        models = [
            node["widgets_values"][0]
            for node in workflow["nodes"]
            if isinstance(node, dict)
            and _LOADER.search(str(node.get("type", "")))
            and isinstance(node.get("widgets_values"), list)
            and node["widgets_values"]
            and isinstance(node["widgets_values"][0], str)
        ]
        return generation("comfyui", ["workflow"], models=models)
    return None


def is_graph(data: Any) -> bool:
    return isinstance(data, dict) and any(
        isinstance(node, dict) and "class_type" in node and isinstance(node.get("inputs"), dict)
        for node in data.values()
    )


def _comfyui_graph(graph: dict, fields: list[str]) -> Generation:
    """A ComfyUI API graph: node id → {class_type, inputs}; inputs are values or [node, slot] links."""
    nodes = [n for n in graph.values() if isinstance(n, dict) and isinstance(n.get("inputs"), dict)]
    models, hints = [], []
    for node in nodes:
        kind = str(node.get("class_type", ""))
        for key, value in node["inputs"].items():
            if isinstance(value, str) and (
                key.endswith(_MODEL_INPUTS) or (key == "model_name" and _LOADER.search(kind))
            ):
                models.append(value)
        if "loader" in kind.lower():
            hints += [kind] + [v for k, v in node["inputs"].items() if k in ("type", "model") and isinstance(v, str)]
    extra = parse_json(graph.get("extraMetadata"))
    extra = extra if isinstance(extra, dict) else {}
    sampler = next((n for n in nodes if isinstance(n["inputs"].get("positive"), list)), None)
    civitai = any(str(key).startswith("resource-stack") for key in graph) or bool(extra)
    return generation(
        "comfyui",
        fields,
        app="civitai" if civitai else None,
        models=models,
        hints=hints,
        sampler=_first(nodes, "sampler_name") or extra.get("sampler"),
        scheduler=_first(nodes, "scheduler"),
        steps=_first(nodes, "steps") or extra.get("steps"),
        seed=_first(nodes, "seed", "noise_seed") or extra.get("seed"),
        cfg_scale=_first(nodes, "cfg") or extra.get("cfgScale"),
        size=size_of(_first(nodes, "width"), _first(nodes, "height")),
        prompt=_linked_text(graph, sampler, "positive") or extra.get("prompt") or _first_prompt(nodes),
        negative_prompt=_linked_text(graph, sampler, "negative") or extra.get("negativePrompt"),
    )


def _first(nodes: list[dict], *keys: str) -> Any:
    """The first literal (not a link) value of any of ``keys`` across the graph's nodes."""
    for node in nodes:
        for key in keys:
            value = node["inputs"].get(key)
            if value is not None and not isinstance(value, list | dict):
                return value
    return None


def _linked_text(graph: dict, node: dict | None, slot: str, depth: int = 3) -> str | None:
    """Follow a sampler's positive/negative link to the text its encoder (or a text node) holds."""
    link = node["inputs"].get(slot) if node else None
    for _ in range(depth):
        if not (isinstance(link, list) and link and str(link[0]) in graph):
            return None
        inputs = graph[str(link[0])].get("inputs") or {}
        for key in ("text", "text_g", "prompt", "string", "value", "conditioning"):
            value = inputs.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, list):
                link = value
                break
        else:
            return None
    return None


def _first_prompt(nodes: list[dict]) -> str | None:
    for node in nodes:
        if "TextEncode" in str(node.get("class_type", "")) and isinstance(node["inputs"].get("text"), str):
            return node["inputs"]["text"]
    return None
