"""Users' labels for images, as the store hands them out."""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Label = Literal["ai", "human"]


@dataclass(frozen=True)
class Feedback:
    sha256: str
    label: Label
    model: str  # the vendor model the label is about, e.g. Sightengine's "genai"
    vendor_class: str  # the class as the client sent it, e.g. "not-ai"
    created_at: datetime
    source_url: str | None = None
    api_key_id: str | None = None
