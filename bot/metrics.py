"""Prometheus metrics, one registry per app (no process-global state)."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        self.requests = Counter("kefu_requests_total", "HTTP requests", ["route", "status"], registry=self.registry)
        self.latency = Histogram("kefu_request_seconds", "HTTP request latency", ["route"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.handoffs = Counter("kefu_handoffs_total", "Answers handed to a person, by reason", ["reason"], registry=self.registry)
        self.answers = Counter("kefu_answers_total", "Questions answered, by band", ["band"], registry=self.registry)
        self.index = Gauge("kefu_index_info", "The index version each knowledge base is served from", ["kb", "version"], registry=self.registry)

    def observe_request(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_answer(self, result) -> None:
        self.answers.labels(result.band.value).inc()
        if result.handoff.needed and result.handoff.reason:
            self.handoffs.labels(result.handoff.reason.value).inc()

    def render(self, versions: dict[str, str]) -> str:
        self.index.clear()
        for kb, version in versions.items():
            self.index.labels(kb, version).set(1)
        return generate_latest(self.registry).decode("utf-8")
