"""What `pixelproof batch` writes: `scan --json`'s row as one Parquet record of a fixed schema.

The nested fields (generator, evidence, not_processed, error) are stored as JSON text: each
analyzer's evidence has its own shape, and a fixed schema lets every block, from any actor or
run, be read back as one table.
"""

import json

import pyarrow as pa

JSON_COLUMNS = ("generator", "evidence", "not_processed", "error")
SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("external_id", pa.string()),
        ("sha256", pa.string()),
        ("report_id", pa.string()),
        ("label", pa.string()),
        ("ai_generated", pa.float64()),
        ("generator", pa.string()),
        ("decided_by", pa.string()),
        ("evidence", pa.string()),
        ("not_processed", pa.string()),
        ("error", pa.string()),
    ]
)


def to_record(row: dict, external_id: str | None) -> dict:
    """A `scan --json` row as a record of ``SCHEMA``."""
    record = {**row, "external_id": external_id}
    for column in JSON_COLUMNS:
        record[column] = None if row[column] is None else json.dumps(row[column], ensure_ascii=False)
    return {name: record[name] for name in SCHEMA.names}


def from_record(record: dict) -> dict:
    """The row back, nested fields as objects again: what `--json` writes, and what tests compare
    with `scan --json`."""
    return {name: json.loads(value) if name in JSON_COLUMNS and value is not None else value for name, value in record.items()}
