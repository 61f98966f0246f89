"""AUTOMATIC1111-style ``parameters`` text (also Forge, SD.Next, Civitai, trainers): prompt,
negative prompt and the ``Steps: N, Sampler: …`` settings line."""

import re

from ._record import Generation, generation, parse_json

_STEPS_LINE = re.compile(r"(?:^|,\s*)Steps:\s*\d+")
_KEY = re.compile(r"\s*([^:,\n]+?):\s*")


def a1111(text: str, fields: list[str]) -> Generation | None:
    prompt, negative, params = split_a1111(text)
    if not params:
        return None
    models = [params.get("Model")]
    resources = parse_json(params.get("Civitai resources"))
    if isinstance(resources, list):
        models += [r.get("modelName") for r in resources if isinstance(r, dict) and r.get("type") == "checkpoint"]
    hashes = parse_json(params.get("Hashes"))
    if isinstance(hashes, dict):
        models += [key.split(":", 1)[1] for key in hashes if key.lower().startswith("model:")]
    return generation(
        "automatic1111",
        fields,
        app=_a1111_app(params),
        models=models,
        sampler=params.get("Sampler"),
        scheduler=params.get("Schedule type"),
        steps=params.get("Steps"),
        seed=params.get("Seed"),
        cfg_scale=params.get("CFG scale"),
        size=params.get("Size"),
        prompt=prompt,
        negative_prompt=negative,
        version=params.get("Version"),
    )


def split_a1111(text: str) -> tuple[str, str | None, dict[str, str]]:
    """Prompt, negative prompt and the settings line (the last line that has ``Steps: N``)."""
    lines = text.strip().split("\n")
    index = next((i for i in range(len(lines) - 1, -1, -1) if _STEPS_LINE.search(lines[i])), None)
    if index is None:
        return text, None, {}
    prompt_lines, negative_lines, target = [], [], None
    for line in lines[:index]:
        if line.startswith("Negative prompt:"):
            target = negative_lines
            line = line[len("Negative prompt:") :].lstrip()
        (prompt_lines if target is None else target).append(line)
    negative = "\n".join(negative_lines).strip() if target is not None else None
    return "\n".join(prompt_lines).strip(), negative, _settings_line(lines[index])


def _settings_line(line: str) -> dict[str, str]:
    """``Key: value, Key: "quoted, value", Key: [json, list]`` → dict (A1111's own regex splits JSON)."""
    params: dict[str, str] = {}
    pos = 0
    while pos < len(line):
        match = _KEY.match(line, pos)
        if not match:
            comma = line.find(",", pos)
            if comma < 0:
                break
            pos = comma + 1
            continue
        key, pos = match.group(1).strip(), match.end()
        end = _value_end(line, pos)
        value = line[pos:end].strip()
        if len(value) > 1 and value[0] == '"' == value[-1]:
            unquoted = parse_json(value)
            value = unquoted if isinstance(unquoted, str) else value[1:-1]
        params.setdefault(key, value)
        pos = end + 1
    return params


def _value_end(line: str, pos: int) -> int:
    """Index of the comma ending the value at ``pos``, respecting quotes and brackets."""
    depth, quoted, escaped = 0, False, False
    for i in range(pos, len(line)):
        char = line[i]
        if quoted:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            return i
    return len(line)


def _a1111_app(params: dict[str, str]) -> str | None:
    app, version = params.get("App", ""), params.get("Version", "")
    if app:
        return "sdnext" if app.lower().replace(".", "") == "sdnext" else app.lower()
    if "Civitai resources" in params or "Civitai metadata" in params:
        return "civitai"
    if re.match(r"f\d", version):
        return "forge"
    for name in ("comfyui", "fooocus"):
        if version.lower().startswith(name):
            return name
    return None
