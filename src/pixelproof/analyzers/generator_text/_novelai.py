"""NovelAI: ``Software`` = "NovelAI" with its JSON ``Comment``."""

from ._record import Generation, Texts, generation, parse_json, size_of


def novelai(texts: Texts) -> Generation | None:
    if not str(texts.get("Software", "")).strip().lower().startswith("novelai"):
        return None
    comment = parse_json(texts.get("Comment"))
    comment = comment if isinstance(comment, dict) else {}
    source = texts.get("Source")
    return generation(
        "novelai",
        [k for k in ("Title", "Description", "Software", "Source", "Comment") if k in texts],
        models=[source if isinstance(source, str) else None],
        hints=["NovelAI"],
        sampler=comment.get("sampler"),
        steps=comment.get("steps"),
        seed=comment.get("seed"),
        cfg_scale=comment.get("scale"),
        size=size_of(comment.get("width"), comment.get("height")),
        prompt=comment.get("prompt") or texts.get("Description"),
        negative_prompt=comment.get("uc"),
    )
