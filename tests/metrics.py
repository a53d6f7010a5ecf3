"""Reading a /metrics scrape: Prometheus' text format, parsed by prometheus_client itself."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def sample_sum(text: str, name: str, /, **labels: str) -> float:
    """The sum of the samples of `name` that carry all of `labels`."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )
