"""Reading /metrics from a test: every sample by name and labels, and what moved between two reads;
and, with several server processes, which of them answered."""

from pathlib import Path

import httpx
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset], float]


def scrape(client: httpx.Client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str) -> dict[frozenset, float]:
    """The series of ``name`` that changed, and by how much."""
    keys = {labels for sample, labels in before | after if sample == name}
    changes = {labels: after.get((name, labels), 0.0) - before.get((name, labels), 0.0) for labels in keys}
    return {labels: change for labels, change in changes.items() if change}


def by_process(metrics_dir: Path, name: str, **labels: str) -> dict[int, float]:
    """Each server process's count of the histogram ``name`` (``_count`` of the series with
    ``labels``, summed), by pid, where not zero: each process writes its own file in
    ``PROMETHEUS_MULTIPROC_DIR``, named by its pid."""
    counts = {}
    for path in metrics_dir.glob("histogram_*.db"):
        if not path.stat().st_size:
            continue  # a process creating its file this instant: sized before anything is written
        counts[int(path.stem.removeprefix("histogram_"))] = sum(
            sample.value
            for family in MultiProcessCollector.merge([str(path)])
            for sample in family.samples
            if sample.name == f"{name}_count" and labels.items() <= sample.labels.items()
        )
    return {pid: count for pid, count in counts.items() if count}
