"""Prometheus metrics (``GET /metrics``, with the ``prometheus-client`` package): requests by route and status,
answer latency by stage, answers by outcome, builds run, and the size of the live index.

Each server has its own registry, so several servers in one process (tests) count separately.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from rag.app import api
from rag.core.errors import RagError
from rag.core.types import Answer, BuildReport

STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ROUTES = ("/v1/chat/completions", "/v1/models", "/v1/answer", "/v1/search", "/v1/status", "/healthz", "/readyz",
          "/metrics", "/docs", "/openapi.json")
"""Routes counted under their own name; every other path (the Gradio UI and its assets) is counted as ``ui``."""


class IndexSize(Collector):
    """The live snapshot's documents and chunks, read from its manifest at each scrape (a few hundred bytes)."""

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from rag.index.snapshot import current_snapshot_dir

        documents = GaugeMetricFamily("rag_index_documents", "Documents in the live index snapshot")
        chunks = GaugeMetricFamily("rag_index_chunks", "Chunks in the live index snapshot")
        try:
            manifest = json.loads((current_snapshot_dir(self.index_dir) / "manifest.json").read_text("utf-8"))
            counts = manifest.get("counts", {})
            documents.add_metric([], float(counts.get("documents", 0)))
            chunks.add_metric([], float(counts.get("chunks", 0)))
        except (RagError, OSError, ValueError):  # no index yet: the gauges have no sample
            pass
        yield documents
        yield chunks


class Metrics:
    def __init__(self, index_dir: Path):
        self.registry = CollectorRegistry()
        self.requests = Counter("rag_http_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.stages = Histogram("rag_answer_stage_seconds", "Seconds per answer stage (Answer.timings)", ["stage"],
                                buckets=STAGE_BUCKETS, registry=self.registry)
        self.answers = Counter("rag_answers", "Answers by outcome and backend", ["status", "backend"],
                               registry=self.registry)
        self.builds = Counter("rag_builds", "Index builds run in this process, by result", ["result"],
                              registry=self.registry)
        self.registry.register(IndexSize(index_dir))
        api.BUILD_LISTENERS.append(self.count_build)

    def close(self) -> None:
        if self.count_build in api.BUILD_LISTENERS:
            api.BUILD_LISTENERS.remove(self.count_build)

    def count_build(self, report: BuildReport | None) -> None:
        self.builds.labels("ok" if report is not None else "failed").inc()

    def count_answer(self, answer: Answer) -> None:
        self.answers.labels(answer.status, answer.backend).inc()
        for stage, seconds in answer.timings.items():
            self.stages.labels(stage).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def middleware(self, app: Any) -> Callable[..., Awaitable[None]]:
        """ASGI middleware counting every HTTP request by route and status."""

        async def counted(scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[Any]],
                          send: Callable[[Any], Awaitable[None]]) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            path = str(scope.get("path", ""))
            route = path if path in ROUTES else "ui"
            status = {"code": 500}

            async def send_status(message: Any) -> None:
                if message.get("type") == "http.response.start":
                    status["code"] = int(message["status"])
                await send(message)

            try:
                await app(scope, receive, send_status)
            finally:
                self.requests.labels(route, str(scope.get("method", "")), str(status["code"])).inc()

        return counted
