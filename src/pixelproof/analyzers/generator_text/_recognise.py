"""The recognition table: which tool's reader gets a carrier's texts, in which order."""

from collections.abc import Callable

from ._a1111 import a1111
from ._comfyui import comfyui
from ._fooocus import fooocus
from ._invokeai import invokeai
from ._novelai import novelai
from ._record import Generation, Texts, parse_json
from ._swarmui import swarmui


def recognise(texts: Texts, carrier: Callable[[list[str]], str]) -> list[Generation]:
    """Every convention present in one carrier's texts; ComfyUI before the A1111 text it may add."""
    found = []
    for reader in (comfyui, invokeai, novelai, _parameters):
        generation = reader(texts)
        if generation is not None:
            generation.carrier = carrier(generation.fields)
            found.append(generation)
    return found


def _parameters(texts: Texts) -> Generation | None:
    value = texts.get("parameters")
    data = parse_json(value)
    scheme = texts.get("fooocus_scheme")
    if isinstance(data, dict) and isinstance(data.get("sui_image_params"), dict):
        return swarmui(data["sui_image_params"])
    if isinstance(data, dict) and ("base_model" in data or scheme == "fooocus"):
        return fooocus(data, ["parameters"] + (["fooocus_scheme"] if scheme else []))
    if isinstance(value, str):
        return a1111(value, ["parameters"] + (["fooocus_scheme"] if scheme else []))
    return None
