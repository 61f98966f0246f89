"""How many Ray nodes a batch of images needs, and what it costs, from two measured figures:
images per second per CPU, and the resident memory of one actor.

Pure arithmetic, so that the plan in docs/scaling.md can be redone with the figures measured on
a quiet machine and today's prices. It assumes what the batch design gives: the images are
independent, so throughput grows with the actors (no shared state but the output store), and a
node runs as many actors as both its CPUs and its memory allow.
"""

import math
from dataclasses import dataclass

# An AWS on-demand Linux price, us-east-1: c5.4xlarge, 16 vCPUs, 32 GiB, $0.68 an hour (AWS
# Auto Scaling user guide, "Spot price per unit hour example", which calls its prices examples,
# not current; read on 2026-12-08). Pass today's with --node-price-per-h.
NODE_CPUS = 16
NODE_MEMORY_GB = 32.0
NODE_PRICE_PER_H = 0.68
# What a node keeps for itself: the OS, the raylet and its object store (started small:
# inputs are paths and outputs are rows, a few KB each).
NODE_RESERVED_GB = 3.0


@dataclass(frozen=True)
class Node:
    cpus: int = NODE_CPUS
    memory_gb: float = NODE_MEMORY_GB
    price_per_h: float = NODE_PRICE_PER_H
    reserved_gb: float = NODE_RESERVED_GB


@dataclass(frozen=True)
class Plan:
    actors_per_node: int
    limited_by: str  # "cpu" or "memory"
    node_images_per_s: float
    worker_nodes: int
    hours: float
    cost: float
    cost_per_million: float


class PlanError(ValueError):
    """The figures cannot give a plan (an actor does not fit a node, or a figure is not positive)."""


def plan(
    *,
    images_per_cpu_s: float,
    rss_per_actor_mb: float,
    cpus_per_actor: int,
    images: int,
    within_hours: float,
    node: Node = Node(),
    head_price_per_h: float = 0.0,
) -> Plan:
    """Worker nodes to analyze ``images`` within ``within_hours``, and the bill.

    actors per node = min(cpus ÷ cpus per actor, (memory − reserved) ÷ RSS per actor)
    node throughput = actors per node × cpus per actor × images per CPU-second
    worker nodes    = ⌈images ÷ (node throughput × 3600 × hours)⌉
    hours taken     = images ÷ (worker nodes × node throughput) ÷ 3600
    cost            = (worker nodes × node price + head price) × hours taken
    """
    if min(images_per_cpu_s, rss_per_actor_mb, cpus_per_actor, images, within_hours) <= 0:
        raise PlanError("every figure must be positive")
    by_cpu = node.cpus // cpus_per_actor
    by_memory = math.floor((node.memory_gb - node.reserved_gb) * 1024 / rss_per_actor_mb)
    actors = min(by_cpu, by_memory)
    if actors < 1:
        raise PlanError(f"one actor ({cpus_per_actor} CPUs, {rss_per_actor_mb:.0f} MB) does not fit the node")
    node_rate = actors * cpus_per_actor * images_per_cpu_s
    workers = math.ceil(images / (node_rate * 3600 * within_hours))
    hours = images / (workers * node_rate) / 3600
    cost = (workers * node.price_per_h + head_price_per_h) * hours
    return Plan(
        actors_per_node=actors,
        limited_by="cpu" if by_cpu <= by_memory else "memory",
        node_images_per_s=node_rate,
        worker_nodes=workers,
        hours=hours,
        cost=cost,
        cost_per_million=cost * 1_000_000 / images,
    )
