"""Fuzz a real server with mutated images: no answer may be a 5xx, every refusal has our shape.

Small base images (64 to 256 px, made by code; for GIF, WebP and PNG also a three-frame
animation) in every accepted format are mutated (bits flipped, bytes truncated, inserted,
deleted, duplicated or overwritten in the header, ranges spliced in from another format) and
posted to ``POST /v1/analyze`` on a ``pixelproof serve`` started on loopback with a fresh
SQLite store.

Two passes, so that 10,000 files fit in an afternoon on two cores. One analyzer, ``pixels``
(CLIP and the pixel detector's three views), costs seconds per image; all the others together
cost tens of milliseconds. So:

* pass ``cheap``: every file, every analyzer but ``pixels`` (``excluding=pixels``): upload,
  sniffing, decoding, the pixel conversion and eight analyzers;
* pass ``every``: a random subset of ``--every-analyzer`` files (drawn from ``--seed``), again,
  with every analyzer.

Each answer is appended to ``--progress`` (JSON lines) as it comes; a run started again with
the same file, count and seed skips what is there, so a run can be stopped and resumed, and
``--every-analyzer`` raised later adds files to the second pass. Prints the answers by pass,
status and error code, by format, the time taken and any 5xx, missing or misshapen answer;
exits 1 if there was one.

Run: python -m benchmarks.fuzz [--count 10000] [--every-analyzer 1000] [--seed 0]
         [--concurrency 2] [--progress fuzz.jsonl] [--time-budget S]
"""

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

from .samples import FORMATS, encode, photo
from .serving import Server, error_code, error_shape_ok, machine, start_server, warm_up

SIZES = ((64, 64), (256, 192), (97, 131))
ANIMATED = ("GIF", "WEBP", "PNG")  # formats whose writers make animations (the server decodes frame 0)
UNMUTATED = 0.05  # share of files sent intact: the analyzers must see real images too
EXPENSIVE = "pixels"  # the analyzer left out of the cheap pass
PASSES = {"cheap": {"excluding": EXPENSIVE}, "every": {}}  # each pass's query parameters
PROGRESS_EVERY_S = 30.0


def bases(seed: int) -> dict[str, list[bytes]]:
    rng = random.Random(seed)
    out = {fmt: [encode(photo(rng, w, h), fmt) for w, h in SIZES] for fmt in FORMATS}
    for fmt in ANIMATED:
        frames = [photo(rng, 96, 80) for _ in range(3)]
        out[fmt].append(encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100))
    return out


def mutate(rng: random.Random, data: bytes, donor: bytes) -> bytes:
    """One to three random edits of ``data``; ``donor`` is another file to splice from."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        edit = rng.randrange(7)
        at = rng.randrange(max(len(out), 1))
        if edit == 0:  # flip bits
            for _ in range(rng.randint(1, 32)):
                i = rng.randrange(len(out))
                out[i] ^= 1 << rng.randrange(8)
        elif edit == 1:  # truncate
            del out[max(at, 1) :]
        elif edit == 2:  # insert random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 256))
        elif edit == 3:  # delete a range
            del out[at : at + rng.randint(1, 512)]
        elif edit == 4:  # duplicate a range
            out[at:at] = out[at : at + rng.randint(1, 2048)]
        elif edit == 5:  # header bytes set to extremes (sizes, counts, offsets)
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(min(len(out), 64) or 1)
                out[i : i + 1] = bytes([rng.choice((0x00, 0x01, 0x7F, 0x80, 0xFF))])
        else:  # splice in a range of another format's file
            start = rng.randrange(len(donor))
            out[at : at + rng.randint(1, 512)] = donor[start : start + rng.randint(1, 512)]
    return bytes(out)


class Corpus:
    """File ``i`` of a run, made on demand from (seed, i) alone: the same bytes in both passes
    and after a resume, without holding 10,000 files in memory."""

    def __init__(self, seed: int, count: int):
        self.seed, self.count = seed, count
        self.originals = bases(seed)
        self.donors = [data for files in self.originals.values() for data in files]

    def file(self, i: int) -> tuple[str, bytes]:
        fmt = FORMATS[i % len(FORMATS)]
        rng = random.Random(f"{self.seed}:{i}")
        data = rng.choice(self.originals[fmt])
        return fmt, data if rng.random() < UNMUTATED else mutate(rng, data, rng.choice(self.donors))

    def every_analyzer_subset(self, size: int) -> list[int]:
        """The files of the ``every`` pass: the first ``size`` of one shuffle of all of them, so a
        larger size later keeps the files already done."""
        order = list(range(self.count))
        random.Random(f"{self.seed}:every").shuffle(order)
        return sorted(order[:size])


class Progress:
    """The answers so far, one JSON line each, appended as they come (thread-safe)."""

    def __init__(self, path: Path, seed: int, count: int):
        self.path, self._lock = path, threading.Lock()
        self.records: list[dict] = []
        header = {"seed": seed, "count": count}
        if path.exists() and path.stat().st_size:
            kept, _, partial = path.read_text().rpartition("\n")
            if partial:  # a run killed mid-line: drop the half line before appending
                path.write_text(kept + "\n")
            lines = [json.loads(line) for line in kept.splitlines() if line.strip()]
            if lines and lines[0] != header:
                raise SystemExit(f"{path} belongs to another run ({lines[0]}); use another --progress file")
            self.records = [line for line in lines[1:] if "pass" in line]
            self.sessions = [line for line in lines[1:] if "session_s" in line]
        else:
            path.write_text(json.dumps(header) + "\n")
            self.sessions = []
        self.done = {(r["pass"], r["index"]) for r in self.records}

    def add(self, record: dict) -> None:
        with self._lock:
            self.records.append(record)
            self.done.add((record["pass"], record["index"]))
            with self.path.open("a") as out:
                out.write(json.dumps(record) + "\n")

    def session(self, seconds: float) -> None:
        with self._lock, self.path.open("a") as out:
            out.write(json.dumps({"session_s": round(seconds, 1)}) + "\n")
            self.sessions.append({"session_s": seconds})


def post_all(server: Server, corpus: Corpus, todo: list[tuple[str, int]], progress: Progress, concurrency: int) -> None:
    """Post every (pass, file index) of ``todo``, ``concurrency`` at a time, recording each answer."""
    pending: Iterator[tuple[str, int]] = iter(todo)
    take = threading.Lock()
    started, last_print = time.monotonic(), [time.monotonic()]

    def worker() -> None:
        with httpx.Client(base_url=server.base_url, timeout=600) as client:
            while True:
                with take:
                    item = next(pending, None)
                if item is None:
                    return
                name, i = item
                fmt, data = corpus.file(i)
                upload = {"image": ("fuzz.bin", data, "application/octet-stream")}
                began = time.monotonic()
                record = {"pass": name, "index": i, "format": fmt}
                try:
                    r = client.post("/v1/analyze", files=upload, params=PASSES[name])
                except httpx.HTTPError as exc:  # no answer at all: the server died or hung
                    failure = f"transport {type(exc).__name__}"
                    record |= {"status": 0, "code": failure, "shape_ok": False, "body": str(exc)}
                else:
                    record |= {"status": r.status_code, "code": error_code(r), "shape_ok": error_shape_ok(r)}
                    if r.status_code >= 500 or not record["shape_ok"]:
                        record["body"] = r.text[:300]
                progress.add(record | {"seconds": round(time.monotonic() - began, 3)})
                with take:
                    if time.monotonic() - last_print[0] >= PROGRESS_EVERY_S:
                        last_print[0] = time.monotonic()
                        done = sum(1 for key in todo if key in progress.done)
                        print(f"  {time.monotonic() - started:6.0f} s  {done}/{len(todo)} posted this session",
                              flush=True)  # fmt: skip

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="files, each posted in the cheap pass")
    parser.add_argument("--every-analyzer", type=int, default=1_000, help="of those, posted again with every analyzer")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    parser.add_argument("--progress", type=Path, help="JSON lines of the answers, to resume from (default: none kept)")
    parser.add_argument("--time-budget", type=float, help="the server's time_budget_s (default: its own, 30 s)")
    args = parser.parse_args()
    corpus = Corpus(args.seed, args.count)
    with tempfile.TemporaryDirectory() as folder:
        progress = Progress(args.progress or Path(folder) / "fuzz.jsonl", args.seed, args.count)
        todo = [("cheap", i) for i in range(args.count)]
        todo += [("every", i) for i in corpus.every_analyzer_subset(args.every_analyzer)]
        todo = [key for key in todo if key not in progress.done]
        print(machine())
        print(f"{len(todo)} answers to get, {len(progress.records)} already in {progress.path}")
        if todo:
            env = {"PIXELPROOF_TIME_BUDGET_S": str(args.time_budget)} if args.time_budget else {}
            server = start_server(["--data-dir", folder], Path(folder) / "serve.log", env=env)
            try:
                warm_up(server, corpus.originals["JPEG"][0])
                start = time.monotonic()
                try:
                    post_all(server, corpus, todo, progress, args.concurrency)
                finally:
                    progress.session(time.monotonic() - start)
            finally:
                server.stop()
        report(progress, args)


def report(progress: Progress, args) -> None:
    records = progress.records
    elapsed = sum(s["session_s"] for s in progress.sessions)
    print(f"{len(records)} answers to {args.count} mutated files (seed {args.seed}, {args.concurrency} in flight) "
          f"in {elapsed:.0f} s over {len(progress.sessions)} session(s)")  # fmt: skip
    for name, params in PASSES.items():
        mine = [r for r in records if r["pass"] == name]
        print(f"pass {name} ({params or 'every analyzer'}): {len(mine)} files, "
              f"{sum(r['seconds'] for r in mine):.0f} s of requests")  # fmt: skip
        for (status, code), n in sorted(Counter((r["status"], r["code"]) for r in mine).items()):
            print(f"  {status} {code:<28}{n:7d}")
        by_format = Counter((r["format"], "analyzed" if r["status"] == 200 else "refused") for r in mine)
        print("  by format (analyzed / refused):", ", ".join(
            f"{fmt} {by_format[fmt, 'analyzed']} / {by_format[fmt, 'refused']}" for fmt in FORMATS))  # fmt: skip
    server_errors = [r for r in records if r["status"] >= 500 or r["status"] == 0]
    misshapen = [r for r in records if not r["shape_ok"] and r["status"]]
    print(f"5xx answers or none: {len(server_errors)}; answers not in the error shape: {len(misshapen)} "
          f"(of {sum(r['status'] not in (0, 200) for r in records)} refusals)")  # fmt: skip
    for r in (server_errors + misshapen)[:10]:
        print(f"  {r['pass']} #{r['index']} {r['format']} {r['status']}: {r.get('body', '')[:200]}")
    if server_errors or misshapen:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
