"""The cluster plan's arithmetic (benchmarks/cluster_plan.py), on round figures."""

import pytest

from benchmarks.cluster_plan import Node, PlanError, plan

NODE = Node(cpus=16, memory_gb=32, price_per_h=1.0, reserved_gb=0)


def test_a_node_runs_one_actor_per_cpu_when_memory_allows_and_the_cost_follows_the_hours():
    # 16 actors × 0.5 images/s = 8 images/s a node; 28,800 images in 1 h needs one node for 1 h.
    result = plan(images_per_cpu_s=0.5, rss_per_actor_mb=1024, cpus_per_actor=1, images=28_800, within_hours=1, node=NODE)
    assert (result.actors_per_node, result.limited_by, result.node_images_per_s) == (16, "cpu", 8.0)
    assert (result.worker_nodes, result.hours, result.cost) == (1, 1.0, 1.0)
    assert result.cost_per_million == pytest.approx(1_000_000 / 28_800)


def test_memory_caps_the_actors_a_node_holds():
    # 4 GB an actor: 8 fit in 32 GB, so half the CPUs work and a node does half as much.
    result = plan(images_per_cpu_s=0.5, rss_per_actor_mb=4096, cpus_per_actor=1, images=28_800, within_hours=1, node=NODE)
    assert (result.actors_per_node, result.limited_by, result.node_images_per_s) == (8, "memory", 4.0)
    assert (result.worker_nodes, result.hours) == (2, 1.0)


def test_a_deadline_adds_nodes_and_the_cost_per_image_stays_the_same_but_for_the_head():
    alone = plan(images_per_cpu_s=0.5, rss_per_actor_mb=1024, cpus_per_actor=1, images=1_000_000, within_hours=100, node=NODE)
    rushed = plan(images_per_cpu_s=0.5, rss_per_actor_mb=1024, cpus_per_actor=1, images=1_000_000, within_hours=1, node=NODE)
    assert (alone.worker_nodes, rushed.worker_nodes) == (1, 35)  # ⌈1,000,000 ÷ 28,800⌉
    assert rushed.hours <= 1 < alone.hours
    assert rushed.cost == pytest.approx(alone.cost)
    headed = plan(images_per_cpu_s=0.5, rss_per_actor_mb=1024, cpus_per_actor=1, images=1_000_000, within_hours=1,
                  node=NODE, head_price_per_h=1.0)  # fmt: skip
    assert headed.cost == pytest.approx(rushed.cost + rushed.hours)


def test_an_actor_bigger_than_a_node_is_refused():
    with pytest.raises(PlanError, match="does not fit"):
        plan(images_per_cpu_s=0.5, rss_per_actor_mb=40_000, cpus_per_actor=1, images=10, within_hours=1, node=NODE)
    with pytest.raises(PlanError, match="positive"):
        plan(images_per_cpu_s=0, rss_per_actor_mb=1024, cpus_per_actor=1, images=10, within_hours=1, node=NODE)
