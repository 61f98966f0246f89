"""Fooocus: its JSON ``parameters`` (the "fooocus" metadata scheme)."""

from ._record import Generation, generation, int_pair


def fooocus(data: dict, fields: list[str]) -> Generation:
    width, height = int_pair(data.get("resolution"))
    refiner = data.get("refiner_model")
    return generation(
        "fooocus",
        fields,
        models=[data.get("base_model"), refiner if refiner not in (None, "None") else None],
        sampler=data.get("sampler"),
        scheduler=data.get("scheduler"),
        steps=data.get("steps"),
        seed=data.get("seed"),
        cfg_scale=data.get("guidance_scale"),
        size=f"{width}x{height}" if width else None,
        prompt=data.get("prompt"),
        negative_prompt=data.get("negative_prompt"),
        version=data.get("version"),
    )
