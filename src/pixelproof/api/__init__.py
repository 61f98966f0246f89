"""The native HTTP API: ``create_app(settings)`` returns the FastAPI application."""

from .app import create_app

__all__ = ["create_app"]
