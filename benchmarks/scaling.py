"""Throughput of the ways pixelproof scales on one machine, and the cluster plan they imply.

One command per measurement, on a fixed, seeded choice of the shared data's images (mixed
formats and sizes). Compared commands run in turn within each round (A B, then B A), so a
machine whose speed drifts slows both alike, and each ratio is taken round by round. Every
figure counts the whole process tree: wall seconds, CPU seconds (user + system, every process
the run started, Ray's actors included) and the peak RSS of each kind of process.

  python -m benchmarks.scaling scan-vs-batch --images 500 --rounds 3
      `scan --workers 2` against `batch` on a local Ray runtime of 2 CPUs, plus the same with
      one image, which is what each pays before its first image (imports, pool or runtime
      start, model load): the difference in per-image cost is Ray's per-image overhead.
  python -m benchmarks.scaling serve-workers --images 200 --clients 4 --rounds 3
      `serve --workers 1` against `--workers 2` (SQLite), K clients uploading at once.
  python -m benchmarks.scaling ray-nodes --nodes 1,2 --images 100
      `batch --address` on a Ray cluster of N single-CPU nodes on loopback (each node its own
      raylet and object store, as `ray start` makes): images/s per CPU and RSS per actor.
  python -m benchmarks.scaling plan --images-per-cpu-s X --rss-per-actor-mb Y
      worker nodes and cost per million images from those two figures (benchmarks/cluster_plan.py).
"""

import argparse
import csv
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from training.locations import SHARED_DATA

from .cluster_plan import Node, PlanError, plan
from .process_tree import TreeUsage, timed_tree
from .serving import machine, start_server

PIXELPROOF = [sys.executable, "-m", "pixelproof"]
# serve-workers measures throughput, not the time budget: a request queued behind the others
# (or on a busy machine) must not be cut off at the default 30 s and stop the benchmark.
UPLOAD_TIME_BUDGET_S = 600


@dataclass
class Run:
    name: str
    images: int
    wall_s: float
    usage: TreeUsage
    reported_s: float | None = None  # what the command itself says it took (batch: after the runtime started)

    @property
    def images_per_s(self) -> float:
        return self.images / self.wall_s

    @property
    def cpu_per_image_s(self) -> float:
        return self.usage.cpu_s / self.images


def chosen_images(count: int, seed: int) -> list[Path]:
    """``count`` images of the shared data, the same for the same seed, whatever the formats' mix."""
    manifest = SHARED_DATA / "manifest.csv"
    if not manifest.is_file():
        sys.exit(f"no {manifest}: the shared data is elsewhere (set PIXELPROOF_SHARED) or not here")
    with manifest.open(newline="") as table:
        paths = sorted(SHARED_DATA / row["path"] for row in csv.DictReader(table))
    present = [path for path in paths if path.is_file()]
    if count > len(present):
        sys.exit(f"only {len(present)} images under {SHARED_DATA}, {count} asked")
    return random.Random(seed).sample(present, count)


def describe_images(paths: list[Path]) -> str:
    formats = Counter(path.suffix.lower().lstrip(".") for path in paths)
    sizes = sorted(path.stat().st_size for path in paths)
    return (
        f"{len(paths)} images ({', '.join(f'{fmt} {n}' for fmt, n in formats.most_common())}), "
        f"{sizes[0] / 1e3:.0f} KB to {sizes[-1] / 1e6:.1f} MB, median {statistics.median(sizes) / 1e3:.0f} KB"
    )


def run_command(name: str, images: int, command: list[str], log: Path) -> Run:
    """Run ``command`` to the end under the tree sampler; a failure stops the benchmark (its log says why)."""
    output: list[str] = []

    def action() -> None:
        with log.open("ab") as err:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=err, text=True, check=False)
        output.append(done.stdout)
        if done.returncode != 0:
            sys.exit(f"{name} exited with {done.returncode}; see {log}")

    wall_s, usage = timed_tree(action)
    reported = re.search(r" in ([\d.]+) s \(", output[0])
    return Run(name, images, wall_s, usage, float(reported.group(1)) if reported else None)


def in_turn(rounds: int, runners: list) -> list[list[Run]]:
    """Each runner once a round, the order reversed every other round; a list of runs per runner."""
    runs: list[list[Run]] = [[] for _ in runners]
    for number in range(rounds):
        order = list(enumerate(runners))
        for index, runner in order if number % 2 == 0 else reversed(order):
            run = runner(number)
            print(f"  round {number + 1}: {run.name:<28} {run.wall_s:7.1f} s  {run.images_per_s:6.2f} images/s  "
                  f"CPU {run.usage.cpu_s:7.1f} s", flush=True)  # fmt: skip
            runs[index].append(run)
    return runs


def summarize(runs: list[Run]) -> None:
    last = runs[-1]
    print(f"{last.name} ({last.images} images, {len(runs)} runs, medians):")
    print(f"  {statistics.median(r.wall_s for r in runs):.1f} s, {statistics.median(r.images_per_s for r in runs):.2f} images/s, "
          f"CPU {statistics.median(r.cpu_per_image_s for r in runs):.2f} s per image")  # fmt: skip
    for line in last.usage.describe():
        print(f"  {line}")


def ratios(name: str, over: list[Run], under: list[Run]) -> None:
    each = [a.images_per_s / b.images_per_s for a, b in zip(over, under, strict=True)]
    print(f"{name}: median {statistics.median(each):.2f} (rounds: {', '.join(f'{r:.2f}' for r in each)})")


def scan_vs_batch(args: argparse.Namespace) -> None:
    paths = chosen_images(args.images, args.seed)
    print(describe_images(paths))
    work = Path(tempfile.mkdtemp(prefix="pixelproof-scaling-"))
    listing = work / "images.txt"
    listing.write_text("".join(f"{path}\n" for path in paths))
    (work / "one.txt").write_text(f"{paths[0]}\n")
    log = work / "runs.log"
    print(f"work folder and logs: {work}")

    def scan(count: int, files: list[Path]):
        return lambda number: run_command(
            f"scan --workers {args.cpus} ({count})", count,
            [*PIXELPROOF, "scan", "--workers", str(args.cpus), "--json", "-o", str(work / "scan.jsonl"), *map(str, files)],
            log,
        )  # fmt: skip

    def batch(count: int, source: Path):
        extra = ["--cpus-per-actor", str(args.cpus_per_actor)] if args.cpus_per_actor else []
        return lambda number: run_command(
            f"batch --cpus {args.cpus} ({count})", count,
            [*PIXELPROOF, "batch", str(source), "--out", str(work / f"out-{count}-{number}"), "--cpus", str(args.cpus), *extra],
            log,
        )  # fmt: skip

    runners = [scan(len(paths), paths), batch(len(paths), listing)]
    if not args.no_start_cost:
        runners += [scan(1, paths[:1]), batch(1, work / "one.txt")]
    runs = in_turn(args.rounds, runners)
    for each in runs:
        summarize(each)
    ratios("batch ÷ scan, images/s", runs[1], runs[0])
    if not args.no_start_cost:
        explain_overhead(*runs)


def explain_overhead(scan_n: list[Run], batch_n: list[Run], scan_1: list[Run], batch_1: list[Run]) -> None:
    """Where batch's time goes beside scan's: what each pays before its first image (one-image
    runs), the per-image time beyond it, and, for batch, the runtime's start and stop (the
    command's wall time less the seconds it reports after the runtime is up)."""
    def median(runs: list[Run], of) -> float:
        return statistics.median(of(run) for run in runs)

    n = scan_n[0].images
    wall = lambda run: run.wall_s  # noqa: E731
    scan_start, batch_start = median(scan_1, wall), median(batch_1, wall)
    scan_per_image = (median(scan_n, wall) - scan_start) / max(1, n - 1)
    batch_per_image = (median(batch_n, wall) - batch_start) / max(1, n - 1)
    runtime = median(batch_1, lambda run: run.wall_s - (run.reported_s or 0.0))
    print("where batch's time goes (medians):")
    print(f"  before the first image: scan {scan_start:.1f} s, batch {batch_start:.1f} s, of which Ray's runtime "
          f"start and stop and the driver's imports {runtime:.1f} s, actor start and model load and the first "
          f"image {batch_start - runtime:.1f} s")  # fmt: skip
    print(f"  each further image: scan {scan_per_image * 1000:.0f} ms, batch {batch_per_image * 1000:.0f} ms "
          f"(difference: scheduling, serialization and block writes, and how the actors use the CPUs)")  # fmt: skip
    if batch_per_image > 0 and scan_per_image > 0:
        print(f"  on a long run batch tends to {scan_per_image / batch_per_image:.2f} × scan's images/s")


def serve_workers(args: argparse.Namespace) -> None:
    paths = chosen_images(args.images, args.seed)
    print(describe_images(paths))
    images = [path.read_bytes() for path in paths]
    work = Path(tempfile.mkdtemp(prefix="pixelproof-serve-workers-"))
    print(f"work folder and logs: {work}")

    def serve(workers: int):
        def runner(number: int) -> Run:
            folder = work / f"workers-{workers}-{number}"
            folder.mkdir()
            server = start_server(
                ["--data-dir", str(folder), "--workers", str(workers)], folder / "serve.log",
                env={"PIXELPROOF_TIME_BUDGET_S": str(UPLOAD_TIME_BUDGET_S)},
            )  # fmt: skip
            try:
                for _ in range(2):  # the kernel picks the worker: ask each one's models to load
                    upload_all(server.base_url, images[:1] * workers * 2, workers * 2)
                wall_s, usage = timed_tree(lambda: upload_all(server.base_url, images, args.clients))
            finally:
                server.stop()
            return Run(f"serve --workers {workers}", len(images), wall_s, usage)

        return runner

    runs = in_turn(args.rounds, [serve(1), serve(2)])
    for each in runs:
        summarize(each)
    ratios("2 workers ÷ 1, images/s", runs[1], runs[0])


def upload_all(base_url: str, images: list[bytes], clients: int) -> None:
    """``clients`` threads upload the images, each the next one not yet taken; anything but 200 stops the benchmark."""
    import httpx

    pending = list(enumerate(images))
    failures: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=base_url, timeout=600) as http:
            while True:
                with lock:
                    if not pending or failures:
                        return
                    index, image = pending.pop()
                answer = http.post("/v1/analyze", files={"image": (f"image-{index}", image, "application/octet-stream")})
                if answer.status_code != 200:
                    failures.append(f"image {index}: {answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        sys.exit(f"an upload failed: {failures[0]}")


def ray_nodes(args: argparse.Namespace) -> None:
    """Each node count in turn: a fresh cluster of single-CPU nodes (their own raylets, object
    stores and ports on this machine), one `batch --address` on it, then the cluster stopped."""
    from ray.cluster_utils import Cluster

    from pixelproof.batch.run import BLOCK_ROWS

    paths = chosen_images(args.images, args.seed)
    print(describe_images(paths))
    work = Path(tempfile.mkdtemp(prefix="pixelproof-ray-nodes-"))
    listing = work / "images.txt"
    listing.write_text("".join(f"{path}\n" for path in paths))
    print(f"work folder and logs: {work}")
    node_args = {"num_cpus": args.cpus_per_node, "object_store_memory": args.object_store_mb * 1024 * 1024}
    blocks = -(-len(paths) // BLOCK_ROWS)
    if blocks < max(args.nodes):
        print(f"note: {len(paths)} images are {blocks} block(s) of {BLOCK_ROWS}: at most {blocks} actor(s) work, "
              f"whatever the nodes")  # fmt: skip
    for nodes in args.nodes:
        cluster = Cluster(initialize_head=True, connect=False, head_node_args={**node_args, "include_dashboard": False})
        try:
            for _ in range(nodes - 1):
                cluster.add_node(**node_args)
            cluster.wait_for_nodes()
            command = [*PIXELPROOF, "batch", str(listing), "--out", str(work / f"out-{nodes}"),
                       "--address", cluster.address, "--cpus-per-actor", str(args.cpus_per_node)]  # fmt: skip
            run = run_command(f"batch on {nodes} node(s)", len(paths), command, work / "runs.log")
        finally:
            cluster.shutdown()
        cpus = nodes * args.cpus_per_node
        actors = [seen for label, group in run.usage.by_label().items() if "AnalyzeBatch" in label for seen in group]
        print(f"{nodes} node(s), {cpus} CPUs: {run.wall_s:.1f} s in all, {run.reported_s or 0:.1f} s after connecting; "
              f"{run.images_per_s:.2f} images/s, {run.images / (run.reported_s or run.wall_s) / cpus:.3f} images/s per CPU "
              f"once connected; CPU {run.cpu_per_image_s:.2f} s per image")  # fmt: skip
        if actors:
            print(f"  {len(actors)} actor(s), peak RSS {max(a.peak_rss_mb for a in actors):.0f} MB per actor")
        for line in run.usage.describe():
            print(f"  {line}")


def print_plan(args: argparse.Namespace) -> None:
    node = Node(args.node_cpus, args.node_memory_gb, args.node_price_per_h, args.node_reserved_gb)
    try:
        result = plan(
            images_per_cpu_s=args.images_per_cpu_s, rss_per_actor_mb=args.rss_per_actor_mb,
            cpus_per_actor=args.cpus_per_actor, images=args.total_images, within_hours=args.within_hours,
            node=node, head_price_per_h=args.head_price_per_h,
        )  # fmt: skip
    except PlanError as exc:
        sys.exit(str(exc))
    print(f"node: {node.cpus} CPUs, {node.memory_gb:g} GB ({node.reserved_gb:g} GB kept for the OS and Ray), "
          f"${node.price_per_h:.3f}/h; head ${args.head_price_per_h:.3f}/h")  # fmt: skip
    print(f"{result.actors_per_node} actors per node (limited by {result.limited_by}), "
          f"{result.node_images_per_s:.1f} images/s per node")  # fmt: skip
    print(f"{args.total_images:,} images within {args.within_hours:g} h: {result.worker_nodes} worker node(s), "
          f"{result.hours:.2f} h, ${result.cost:,.2f}; ${result.cost_per_million:,.2f} per million images")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def measured(name: str, images: int, help: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help)
        command.add_argument("--images", type=int, default=images)
        command.add_argument("--seed", type=int, default=15, help="which images (the same seed, the same images)")
        return command

    scan_batch = measured("scan-vs-batch", 500, "scan --workers N against batch on a local Ray runtime")
    scan_batch.add_argument("--rounds", type=int, default=3)
    scan_batch.add_argument("--cpus", type=int, default=os.cpu_count(), help="scan's workers and the runtime's CPUs")
    scan_batch.add_argument("--cpus-per-actor", type=int, help="batch's --cpus-per-actor (default: its own)")
    scan_batch.add_argument("--no-start-cost", action="store_true", help="skip the one-image runs")
    scan_batch.set_defaults(action=scan_vs_batch)

    serving = measured("serve-workers", 200, "serve --workers 1 against --workers 2")
    serving.add_argument("--clients", type=int, default=4)
    serving.add_argument("--rounds", type=int, default=3)
    serving.set_defaults(action=serve_workers)

    cluster = measured("ray-nodes", 100, "batch on a loopback Ray cluster of several nodes")
    cluster.add_argument("--nodes", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2])
    cluster.add_argument("--cpus-per-node", type=int, default=1)
    cluster.add_argument("--object-store-mb", type=int, default=200)
    cluster.set_defaults(action=ray_nodes)

    planning = commands.add_parser("plan", help="worker nodes and cost per million images from measured figures")
    planning.add_argument("--images-per-cpu-s", type=float, required=True)
    planning.add_argument("--rss-per-actor-mb", type=float, required=True)
    planning.add_argument("--cpus-per-actor", type=int, default=1)
    planning.add_argument("--total-images", type=int, default=1_000_000)
    planning.add_argument("--within-hours", type=float, default=24.0)
    planning.add_argument("--node-cpus", type=int, default=Node.cpus)
    planning.add_argument("--node-memory-gb", type=float, default=Node.memory_gb)
    planning.add_argument("--node-reserved-gb", type=float, default=Node.reserved_gb)
    planning.add_argument("--node-price-per-h", type=float, default=Node.price_per_h)
    planning.add_argument("--head-price-per-h", type=float, default=0.0, help="the head node's price (0: it is one of yours already)")
    planning.set_defaults(action=print_plan)

    args = parser.parse_args()
    if args.command != "plan":
        print(machine())
        print(f"load average: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    args.action(args)


if __name__ == "__main__":
    main()
