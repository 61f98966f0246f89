"""``kill -9`` a server mid-load, restart it on the same store: no acknowledged report may be lost.

For each store (SQLite in a temporary folder; PostgreSQL as a throwaway server, started as the
tests start theirs): a ``pixelproof serve`` takes uploads from a few clients; after
``--kill-after`` seconds it gets SIGKILL, with analyses in flight. It is started again on the
same store and port, and every report the server had answered 200 for is read back and
compared with the answer; then the database's own integrity check runs (SQLite ``PRAGMA
integrity_check``; PostgreSQL ``amcheck``'s ``bt_index_check`` on every index of the schema).

Run: python -m benchmarks.kill9 [--stores sqlite,postgresql] [--cycles 1] [--clients 4] [--kill-after 20]
"""

import argparse
import random
import sqlite3
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from tests.support.postgres import throwaway_postgres

from .samples import encode, photo
from .serving import free_port, machine, start_server, warm_up

ONLY = "metadata,quality"  # the store is under test, not the models: quick analyses, many reports


def load_until_killed(base_url: str, clients: int, seconds: float, seed: int):
    """Start ``clients`` threads posting photos until the server stops answering, and return
    after ``seconds`` (for the kill) the reports acknowledged with a 200, by id (filled in until
    the threads end), and the threads."""
    acknowledged: dict[str, dict] = {}
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        images = [encode(photo(rng, 256, 192), "JPEG", quality=90) for _ in range(4)]
        with httpx.Client(base_url=base_url, timeout=120) as http:
            while True:
                upload = {"image": ("photo.jpg", rng.choice(images), "image/jpeg")}
                try:
                    response = http.post("/v1/analyze", files=upload, params={"only": ONLY})
                except httpx.HTTPError:
                    return  # killed: whatever was in flight was never acknowledged
                if response.status_code == 200:
                    report = response.json()
                    with lock:
                        acknowledged[report["id"]] = report

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    return acknowledged, threads


def lost_or_changed(base_url: str, acknowledged: dict[str, dict]) -> tuple[int, int]:
    lost = changed = 0
    with httpx.Client(base_url=base_url, timeout=120) as http:
        for report_id, report in acknowledged.items():
            response = http.get(f"/v1/reports/{report_id}")
            if response.status_code == 404:
                lost += 1
            elif response.json() != report:
                changed += 1
    return lost, changed


def sqlite_integrity(folder: Path) -> str:
    with sqlite3.connect(folder / "pixelproof.db") as conn:
        return ", ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def postgres_integrity(pg) -> str:
    with pg.connect() as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        indexes = conn.execute(
            "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE a.amname = 'btree' AND n.nspname = 'public'"
        ).fetchall()
        for (index,) in indexes:
            conn.execute("SELECT bt_index_check(%s::regclass, true)", (index,))
        return f"ok ({len(indexes)} indexes checked)"


def cycle(store: str, store_args: list[str], integrity, log: Path, args, seed: int) -> bool:
    port = free_port()
    server = start_server(store_args, log, port=port)
    warm_up(server, encode(photo(random.Random(seed), 256, 192), "JPEG"), only=ONLY)
    acknowledged, threads = load_until_killed(server.base_url, args.clients, args.kill_after, seed)
    server.kill9()
    for thread in threads:
        thread.join()
    server = start_server(store_args, log, port=port)
    try:
        lost, changed = lost_or_changed(server.base_url, acknowledged)
    finally:
        server.stop()
    check = integrity()
    print(f"  {store}: {len(acknowledged)} reports acknowledged before kill -9; after restart {lost} lost, "
          f"{changed} changed; integrity check: {check}", flush=True)  # fmt: skip
    return lost == changed == 0 and check.startswith("ok")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--cycles", type=int, default=1, help="kill -9 and restart cycles per store")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--kill-after", type=float, default=20, help="seconds of load before kill -9")
    args = parser.parse_args()
    print(machine())
    print(f"{args.clients} clients posting 256×192 JPEGs (only={ONLY}), kill -9 after {args.kill_after:g} s")
    ok = True
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        for store in args.stores.split(","):
            if store == "sqlite":
                store_args, integrity = ["--data-dir", str(folder / "sqlite")], lambda: sqlite_integrity(folder / "sqlite")
            else:
                pg = stack.enter_context(throwaway_postgres())
                store_args, integrity = ["--db", pg.url("public")], lambda pg=pg: postgres_integrity(pg)
            for n in range(args.cycles):  # the same store every cycle: reports pile up across kills
                ok &= cycle(store, store_args, integrity, folder / f"{store}.log", args, seed=n)
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
