"""Drop-in APIs of closed detectors (Sightengine, Winston AI, AIorNOT): users change a base URL,
not their code.

Each module is a thin translation of ``pixelproof.report.Report`` into its vendor's wire
format, with no detection logic of its own; docs/compatibility.md lists every field and its
source in the report.
"""

from fastapi import FastAPI

from ..errors import register_error_shape
from . import aiornot, sightengine, winston

VENDORS = (sightengine, winston, aiornot)


def install(app: FastAPI) -> None:
    """Mount every vendor's routes, and answer errors under their paths in the vendor's shape."""
    for vendor in VENDORS:
        app.include_router(vendor.router)
        register_error_shape(app, vendor.PATHS, vendor.error_shape)
