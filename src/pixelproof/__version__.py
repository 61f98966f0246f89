"""The version, in a module of its own (as httpx keeps it) so that any floor can name it
without importing the package face."""

__version__ = "0.1.0"
