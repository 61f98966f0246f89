"""Fuzz a real server with mutated images: no answer may be a 5xx, every refusal has our shape.

Small base images (64 to 256 px, made by code) in every accepted format are mutated (bits
flipped, bytes truncated, inserted, deleted, duplicated or overwritten in the header, ranges
spliced in from another format) and posted to ``POST /v1/analyze`` on a ``pixelproof serve``
started on loopback with a fresh SQLite store. Prints the answers by status and error code,
by format, the time taken and any 5xx or misshapen answer; exits 1 if there was one.

Run: python -m benchmarks.fuzz [--count 10000] [--seed 0] [--concurrency 2] [--only metadata,quality]
"""

import argparse
import random
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from .samples import FORMATS, encode, photo
from .serving import error_code, error_shape_ok, machine, start_server, warm_up

SIZES = ((64, 64), (256, 192), (97, 131))
UNMUTATED = 0.05  # share of files sent intact: the analyzers must see real images too


def bases(rng: random.Random) -> dict[str, list[bytes]]:
    return {fmt: [encode(photo(rng, w, h), fmt) for w, h in SIZES] for fmt in FORMATS}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="files to post")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight")
    parser.add_argument("--only", default="", help="comma-separated analyzers (default: all)")
    parser.add_argument("--time-budget", type=float, help="the server's time_budget_s (default: its own, 30 s)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    originals = bases(rng)
    donors = [data for files in originals.values() for data in files]
    files = []
    for i in range(args.count):
        fmt = FORMATS[i % len(FORMATS)]
        data = rng.choice(originals[fmt])
        files.append((fmt, data if rng.random() < UNMUTATED else mutate(rng, data, rng.choice(donors))))
    params = {"only": args.only} if args.only else {}

    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        env = {"PIXELPROOF_TIME_BUDGET_S": str(args.time_budget)} if args.time_budget else {}
        server = start_server(["--data-dir", folder], Path(folder) / "serve.log", env=env)
        try:
            warm_up(server, originals["JPEG"][0], only=args.only)
            with httpx.Client(base_url=server.base_url, timeout=300) as client:

                def post(item: tuple[str, bytes]) -> tuple[str, httpx.Response]:
                    fmt, data = item
                    upload = {"image": ("fuzz.bin", data, "application/octet-stream")}
                    return fmt, client.post("/v1/analyze", files=upload, params=params)

                start = time.monotonic()
                with ThreadPoolExecutor(args.concurrency) as pool:
                    answers = list(pool.map(post, files))
                elapsed = time.monotonic() - start
        finally:
            server.stop()
    report(answers, elapsed, args)


def report(answers: list[tuple[str, httpx.Response]], elapsed: float, args) -> None:
    by_code = Counter((r.status_code, error_code(r)) for _, r in answers)
    by_format = Counter((fmt, "analyzed" if r.status_code == 200 else "refused") for fmt, r in answers)
    server_errors = [(fmt, r) for fmt, r in answers if r.status_code >= 500]
    misshapen = [(fmt, r) for fmt, r in answers if not error_shape_ok(r)]
    print(f"{len(answers)} mutated files (seed {args.seed}, {args.concurrency} in flight, "
          f"analyzers: {args.only or 'all'}) in {elapsed:.0f} s ({len(answers) / elapsed:.1f} files/s)")  # fmt: skip
    print("answers by status and error code:")
    for (status, code), n in sorted(by_code.items()):
        print(f"  {status} {code:<28}{n:7d}")
    print("by format (analyzed / refused):")
    for fmt in FORMATS:
        print(f"  {fmt:<6}{by_format[fmt, 'analyzed']:7d} /{by_format[fmt, 'refused']:6d}")
    print(f"5xx answers: {len(server_errors)}; answers not in the error shape: {len(misshapen)}")
    for fmt, r in (server_errors + misshapen)[:10]:
        print(f"  {fmt} {r.status_code}: {r.text[:200]}")
    if server_errors or misshapen:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
