"""Settings, read from ``PIXELPROOF_*`` environment variables or passed explicitly.

Limits live here (not in the code that enforces them) so a deployment can tune them
without patching, within the bounds we consider safe.
"""

import os
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MB = 1024 * 1024
HARD_MAX_UPLOAD_BYTES = 50 * MB
# Pillow refuses an image of more than twice its MAX_IMAGE_PIXELS (2 × 89,478,485) as soon as
# it reads the header, before our own check runs: a larger max_pixels could never be reached.
HARD_MAX_PIXELS = 178_956_970
ALL_FORMATS = ("jpeg", "png", "webp", "gif", "bmp", "tiff", "heif", "avif")


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback)


def default_data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "pixelproof"


def default_cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "pixelproof"


def default_memory_budget_mb() -> int:
    """Half of this machine's memory: the rest is for the models, the OS and everything else."""
    try:
        return max(1, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2 // MB)
    except (ValueError, OSError, AttributeError):  # no sysconf (Windows) or no such name
        return 4096


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXELPROOF_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    db: str | None = None  # SQLAlchemy URL; default is SQLite under data_dir

    max_upload_bytes: int = Field(10 * MB, gt=0, le=HARD_MAX_UPLOAD_BYTES)
    max_pixels: int = Field(100_000_000, gt=0, le=HARD_MAX_PIXELS)
    min_side: int = Field(16, ge=1)
    formats: Annotated[tuple[str, ...], NoDecode] = ALL_FORMATS

    url_connect_timeout: float = Field(5.0, gt=0)
    url_read_timeout: float = Field(15.0, gt=0)
    url_max_redirects: int = Field(5, ge=0, le=10)
    url_allow: Annotated[tuple[str, ...], NoDecode] = ()  # hosts or CIDRs a private deployment may fetch from

    # Admission and limits (docs/reliability.md): how much runs at once, for whom, for how long.
    memory_budget_mb: int = Field(default_factory=default_memory_budget_mb, gt=0)  # analyses at once: budget / cost
    admission_wait_s: float = Field(10.0, ge=0)  # how long a request waits for a free slot before 503 server_busy
    max_concurrent_fetches: int = Field(32, ge=1)  # URL fetches at once, all keys together
    time_budget_s: float = Field(30.0, gt=0)  # a request still working after this gets 503 time_budget_exceeded
    key_requests_per_minute: int = Field(600, ge=0)  # analyses a key may start per minute; 0: no limit
    key_concurrent_analyses: int = Field(8, ge=0)  # analyses (with their fetches) a key may have running; 0: no limit

    # Async jobs (POST /v1/jobs, docs/scaling.md): how many run here, how large they may be.
    job_workers: int = Field(1, ge=0)  # job images this server runs at once; 0: it only queues (`pixelproof worker`)
    max_job_images: int = Field(1000, ge=1)  # URLs, or archive members, in one job
    max_archive_bytes: int = Field(100 * MB, gt=0, le=1024 * MB)  # an uploaded archive, and all it unpacks to
    webhook_first_retry_s: float = Field(5.0, gt=0)  # the wait after a failed delivery; it doubles each time
    webhook_retry_for_s: float = Field(3600.0, ge=0)  # retries stop this long after the first attempt

    metrics_public: bool = False  # GET /metrics answers without an API key (a scraper on a private network)

    heatmap: bool = False  # the pixel analyzer adds region scores over a grid (up to 16 more CLIP runs)

    c2pa_trust_pem: Path | None = None  # a PEM bundle of C2PA trust anchors; replaces the default trust list
    c2pa_trust_list: bool = True  # without c2pa_trust_pem: trust the fetched C2PA trust list (`models fetch`)

    exiftool: bool = False  # the metadata analyzer adds exiftool's full report (one long-lived process)

    index_analyzed: bool = False  # the engine adds every image reverse_search sees to the near-duplicate index

    @field_validator("formats", "url_allow", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return tuple(v.strip().lower() for v in value.split(",") if v.strip())
        return value

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, value):
        unknown = set(value) - set(ALL_FORMATS)
        if unknown:
            raise ValueError(f"unknown formats {sorted(unknown)}; known: {', '.join(ALL_FORMATS)}")
        return value

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.data_dir / 'pixelproof.db'}"

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"
