"""SwarmUI: ``sui_image_params`` in its JSON ``parameters``."""

from ._record import Generation, generation


def swarmui(params: dict) -> Generation:
    width, height = params.get("width"), params.get("height")
    return generation(
        "swarmui",
        ["parameters"],
        models=[params.get("model")],
        sampler=params.get("sampler"),
        scheduler=params.get("scheduler"),
        steps=params.get("steps"),
        seed=params.get("seed"),
        cfg_scale=params.get("cfgscale"),
        size=f"{width}x{height}" if width and height else None,
        prompt=params.get("prompt"),
        negative_prompt=params.get("negativeprompt"),
        version=params.get("swarm_version"),
    )
