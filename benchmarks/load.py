"""Load a real server: N clients posting a realistic image mix for D seconds, on loopback.

Each client posts, one request after another, photo-size images made by code (JPEG, PNG and
WebP, 0.8 to 3 megapixels) and now and then a hostile one (a truncated JPEG, a PNG whose header
claims 400 megapixels, a 16 × 30,000 strip) to ``POST /v1/analyze`` on a ``pixelproof serve``
with a fresh SQLite store. Meanwhile ``/healthz`` is asked every 0.5 s and the server's resident
set size is read every 5 s. Prints a line every 5 s, then errors, latency percentiles,
throughput and the ``/healthz`` latency. An error is a 5xx, a failed connection, a photo not
analyzed or a hostile file not refused with its 4xx.

Run: python -m benchmarks.load [--clients 24] [--duration 300] [--seed 0]
"""

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.hostile import png_bomb

from .samples import encode, photo, thin_strip
from .serving import Server, error_code, machine, percentile, start_server, warm_up

SAMPLE_EVERY_S = 5.0
HEALTH_EVERY_S = 0.5
HOSTILE_SHARE = 0.1
PHOTOS = (("JPEG", 1024, 768), ("JPEG", 1600, 1200), ("JPEG", 2048, 1536), ("JPEG", 1200, 1600), ("PNG", 1024, 1024),
          ("WEBP", 1280, 720))  # fmt: skip


@dataclass
class Sample:
    name: str
    data: bytes
    expected: tuple[int, str]  # the answer it should get: (status, error code or "ok")


@dataclass
class Tally:
    answers: Counter = field(default_factory=Counter)  # (sample kind, status, code)
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, analyzed photos
    health: list[tuple[float, float]] = field(default_factory=list)  # (when, seconds)
    health_p99: list[float] = field(default_factory=list)  # seconds, each SAMPLE_EVERY_S window
    done_at: list[float] = field(default_factory=list)


def mix(rng: random.Random) -> tuple[list[Sample], list[Sample]]:
    photos = [
        Sample(f"{fmt.lower()} {w}×{h}", encode(photo(rng, w, h), fmt, **({"quality": 90} if fmt == "JPEG" else {})),
               (200, "ok"))
        for fmt, w, h in PHOTOS
    ]  # fmt: skip
    hostile = [
        Sample("truncated jpeg", photos[0].data[: len(photos[0].data) // 3], (422, "corrupt_media")),
        Sample("png bomb 20000×20000", png_bomb(20_000, 20_000), (413, "decompression_bomb")),
        Sample("strip 16×30000", thin_strip(16, 30_000), (200, "ok")),
        Sample("random bytes", rng.randbytes(4096), (415, "unsupported_media_type")),
    ]
    return photos, hostile


async def client_loop(http: httpx.AsyncClient, rng: random.Random, photos, hostile, end: float, tally: Tally):
    while time.monotonic() < end:
        sample = rng.choice(hostile) if rng.random() < HOSTILE_SHARE else rng.choice(photos)
        upload = {"image": (sample.name, sample.data, "application/octet-stream")}
        start = time.monotonic()
        try:
            response = await http.post("/v1/analyze", files=upload)
        except httpx.HTTPError as exc:
            tally.errors[f"transport {type(exc).__name__}"] += 1
            continue
        elapsed = time.monotonic() - start
        answer = (response.status_code, error_code(response))
        tally.answers[sample.name, *answer] += 1
        tally.done_at.append(time.monotonic())
        if answer != sample.expected:
            tally.errors[f"{sample.name}: {answer[0]} {answer[1]}"] += 1
        elif sample in photos:
            tally.latencies.append(elapsed)


async def health_loop(http: httpx.AsyncClient, end: float, tally: Tally):
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            ok = (await http.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            ok = False
        if not ok:
            tally.errors["/healthz failed"] += 1
        tally.health.append((start, time.monotonic() - start))
        await asyncio.sleep(HEALTH_EVERY_S)


async def watch(server: Server, begin: float, end: float, tally: Tally) -> list[float]:
    rss = []
    while time.monotonic() < end:
        await asyncio.sleep(SAMPLE_EVERY_S)
        now = time.monotonic()
        rss.append(server.rss_mb())
        window = [s for t, s in tally.health if t >= now - SAMPLE_EVERY_S]
        tally.health_p99.append(percentile(window, 99))
        done = sum(1 for t in tally.done_at if t >= now - SAMPLE_EVERY_S)
        print(f"  {now - begin:6.0f} s  RSS {rss[-1]:6.0f} MB  answers {done:4d}  "
              f"/healthz p99 {tally.health_p99[-1] * 1000:6.1f} ms  errors {sum(tally.errors.values())}",
              flush=True)  # fmt: skip
    return rss


async def run(server: Server, args, photos, hostile) -> tuple[Tally, list[float], float]:
    tally = Tally()
    rng = random.Random(args.seed)
    limits = httpx.Limits(max_connections=args.clients + 2, max_keepalive_connections=args.clients + 2)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=300, limits=limits) as http:
        begin = time.monotonic()
        end = begin + args.duration
        clients = [client_loop(http, random.Random(rng.getrandbits(32)), photos, hostile, end, tally)
                   for _ in range(args.clients)]  # fmt: skip
        *_, rss = await asyncio.gather(*clients, health_loop(http, end, tally), watch(server, begin, end, tally))
        return tally, rss, time.monotonic() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=24)
    parser.add_argument("--duration", type=float, default=300, help="seconds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    photos, hostile = mix(random.Random(args.seed))
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        server = start_server(["--data-dir", folder], Path(folder) / "serve.log")
        try:
            warm_up(server, photos[0].data)
            print(f"{args.clients} clients for {args.duration:.0f} s; server RSS {server.rss_mb():.0f} MB after warm-up")
            tally, rss, elapsed = asyncio.run(run(server, args, photos, hostile))
        finally:
            server.stop()
    report(tally, rss, elapsed)


def report(tally: Tally, rss: list[float], elapsed: float) -> None:
    answered = sum(tally.answers.values())
    health = [s for _, s in tally.health]
    print(f"{answered} answers in {elapsed:.0f} s: {answered / elapsed:.2f} requests/s")
    for (name, status, code), n in sorted(tally.answers.items()):
        print(f"  {name:<22} {status} {code:<24}{n:6d}")
    ms = [s * 1000 for s in tally.latencies]
    print(f"analyzed photos: p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
          f"p99 {percentile(ms, 99):.0f} ms")  # fmt: skip
    print(f"/healthz ({len(health)} asked): p50 {percentile(health, 50) * 1000:.1f} ms, "
          f"p99 {percentile(health, 99) * 1000:.1f} ms, max {max(health, default=0) * 1000:.1f} ms; "
          f"worst {SAMPLE_EVERY_S:g} s window's p99 {max(tally.health_p99, default=0) * 1000:.1f} ms")  # fmt: skip
    if rss:
        print(f"server RSS every {SAMPLE_EVERY_S:g} s ({len(rss)} samples): first {rss[0]:.0f} MB, "
              f"min {min(rss):.0f} MB, max {max(rss):.0f} MB, last {rss[-1]:.0f} MB")  # fmt: skip
    print(f"errors: {sum(tally.errors.values())}")
    for kind, n in tally.errors.most_common():
        print(f"  {kind}: {n}")
    if tally.errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
