"""A batch run on Ray Data: items → actor pool (one Engine each) → Parquet files, block by block.

Each run writes its own folder, ``OUT/parquet/run-<time>/``; a block's file appears as soon as
the block is done, so a run that dies loses only the blocks in flight. A later run with the same
OUT reads every earlier record first: an item whose path is there with the SHA-256 its bytes
still have is read and skipped, never analyzed again. A record without a SHA-256 (the bytes
never arrived: a missing file, a failed fetch) does not count as done, so its item is retried.
"""

import json
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import ray
from ray.data import ActorPoolStrategy
from ray.data.block import BlockAccessor
from ray.data.datasource import BlockBasedFileDatasink

from ..cli.scan_pool import Job
from .inputs import Item
from .rows import from_record
from .work import AnalyzeBatch

BLOCK_ROWS = 32  # items per block: what a crash can lose, and the rows in one output file


@dataclass
class Summary:
    items: int
    seconds: float
    labels: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    unreadable_records: list[str] = field(default_factory=list)

    @property
    def analyzed(self) -> int:
        return sum(self.labels.values())

    @property
    def skipped(self) -> int:
        return self.items - self.analyzed


def run_batch(items: list[Item], out: str, job: Job, *, cpus_per_actor: int, as_json: bool) -> Summary:
    """Analyze ``items`` on the Ray runtime this process is connected to, into ``out``."""
    start = time.perf_counter()
    done, unreadable = done_records(out)
    run = f"run-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
    parquet_dir = f"{out.rstrip('/')}/parquet/{run}"
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    per_actor = min(cpus_per_actor, cpus)
    dataset = ray.data.from_arrow(_blocks(items, done)).map_batches(
        AnalyzeBatch,
        fn_constructor_kwargs={"job": job},
        batch_format="pyarrow",
        batch_size=BLOCK_ROWS,
        compute=ActorPoolStrategy(min_size=1, max_size=max(1, min(cpus // per_actor, -(-len(items) // BLOCK_ROWS)))),
        num_cpus=per_actor,
    )
    dataset.write_parquet(parquet_dir)
    records = read_records(parquet_dir)
    if as_json and records:
        ray.data.read_parquet(parquet_dir).write_datasink(JsonLines(f"{out.rstrip('/')}/jsonl/{run}"))
    summary = Summary(items=len(items), seconds=time.perf_counter() - start, unreadable_records=unreadable)
    for record in records:
        row = from_record(record)
        summary.labels[row["label"] or "error"] += 1
        if row["error"]:
            summary.errors[row["error"]["code"]] += 1
    return summary


def _blocks(items: list[Item], done: dict[str, set[str]]) -> list[pa.Table]:
    """The items as Arrow tables of BLOCK_ROWS rows, each with the SHA-256s already recorded for its path."""
    table = pa.Table.from_pylist(
        [
            {
                "path": item.path,
                "source": item.source,
                "external_id": item.external_id,
                "missing": item.missing,
                "done_sha256": sorted(done.get(item.path, ())),
            }
            for item in items
        ],
        schema=pa.schema(
            [
                ("path", pa.string()),
                ("source", pa.string()),
                ("external_id", pa.string()),
                ("missing", pa.string()),
                ("done_sha256", pa.list_(pa.string())),
            ]
        ),
    )
    return [table.slice(start, BLOCK_ROWS) for start in range(0, table.num_rows, BLOCK_ROWS)]


def _parquet_files(root: str) -> tuple[fsspec.AbstractFileSystem, list[str]]:
    fs, path = fsspec.core.url_to_fs(root)
    return fs, sorted(fs.glob(f"{path.rstrip('/')}/**/*.parquet")) if fs.exists(path) else []


def read_records(root: str, columns: list[str] | None = None) -> list[dict]:
    """Every record under ``root``, in file order."""
    fs, files = _parquet_files(root)
    return [record for name in files for record in pq.read_table(name, filesystem=fs, columns=columns).to_pylist()]


def done_records(out: str) -> tuple[dict[str, set[str]], list[str]]:
    """The SHA-256s recorded for each path under ``out``, and the files that could not be read
    (a file cut short by a crash: its block is simply done again)."""
    fs, files = _parquet_files(f"{out.rstrip('/')}/parquet")
    done: dict[str, set[str]] = defaultdict(set)
    unreadable = []
    for name in files:
        try:
            table = pq.read_table(name, filesystem=fs, columns=["path", "sha256"])
        except (OSError, pa.ArrowInvalid):
            unreadable.append(name)
            continue
        for path, sha256 in zip(table.column("path").to_pylist(), table.column("sha256").to_pylist(), strict=True):
            if sha256:
                done[path].add(sha256)
    return done, unreadable


class JsonLines(BlockBasedFileDatasink):
    """`--json`: each record as the line `scan --json` writes for it, nested fields as objects."""

    def __init__(self, path: str):
        super().__init__(path, file_format="jsonl")

    def write_block_to_file(self, block: BlockAccessor, file: pa.NativeFile) -> None:
        for record in block.to_arrow().to_pylist():
            file.write((json.dumps(from_record(record), ensure_ascii=False) + "\n").encode())
