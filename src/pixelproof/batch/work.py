"""The work of one Ray actor: read each item of a batch, analyze it, give back its record."""

import asyncio
from functools import partial
from pathlib import Path

import fsspec
import pyarrow as pa

from ..cli.scan_pool import Job, analyzed_row, error_row
from ..ingest.url import fetch_url
from ..media.files import read_file, refuse_over
from ..pipeline import Engine
from ..settings import Settings
from .inputs import URL_SCHEMES
from .rows import SCHEMA, to_record


def read_source(source: str, settings: Settings) -> bytes:
    """The bytes at ``source``, within the upload limit: an http(s) URL is fetched under the
    server's rules (no private addresses, checked redirects, the size cap), anything else through
    its filesystem."""
    if source.startswith(URL_SCHEMES):
        return asyncio.run(fetch_url(source, settings))
    if "://" not in source:
        return read_file(Path(source), settings.max_upload_bytes)
    fs, path = fsspec.core.url_to_fs(source)
    refuse_over(fs.size(path), settings.max_upload_bytes)
    return fs.cat_file(path)


class AnalyzeBatch:
    """A Ray Data callable class: each actor holds one Engine, so the models load once per actor."""

    def __init__(self, job: Job):
        self.engine = Engine()
        self.job = job

    def __call__(self, batch: pa.Table) -> pa.Table:
        records = []
        for item in batch.to_pylist():
            row = self._row(item)
            if row is not None:  # None: done by an earlier run
                records.append(to_record(row, item["external_id"]))
        return pa.Table.from_pylist(records, schema=SCHEMA)

    def _row(self, item: dict) -> dict | None:
        if item["missing"]:
            return error_row(item["path"], "not_found", item["missing"], None)
        load = partial(read_source, item["source"], self.engine.settings)  # read inside the row's error handling
        return analyzed_row(self.engine, self.job, item["path"], load, done=frozenset(item["done_sha256"] or ()))
