"""``rag serve``: one process, one port: the API (:mod:`rag.http.routes`) and the Gradio chat UI mounted at ``/``.

:func:`serve` warms up (model, index, one answer) before the port opens, then starts the background fill of the
per-sentence caches (:mod:`rag.app.warmup`); ``/readyz`` answers 200 from then on. With ``block=False`` it returns
a running :class:`Server` (tests, embedding the server in another program); ``Server.close()`` stops it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI

from rag.app import api
from rag.core.config import Settings, load_settings
from rag.http import errors
from rag.http.metrics import Metrics
from rag.http.routes import State, check_exposure, operator_routes, v1_router
from rag.http.security import BodyLimit
from ui.app import CSS, THEME, build_app

log = logging.getLogger(__name__)

WARM_UP_QUESTION = "Which semiconductor export controls are mentioned?"


def create_app(corpus_dir: str | Path, index_dir: str | Path, settings: Settings | None = None,
               watcher: Any = None) -> tuple[FastAPI, State, gr.Blocks]:
    """The FastAPI app with the API routes, and the Gradio UI mounted at ``/`` (its login from :func:`ui_auth`)."""
    settings = settings or load_settings()
    corpus, index = Path(corpus_dir).resolve(), Path(index_dir).resolve()
    metrics = Metrics(index)
    state = State(settings, corpus, index, metrics)
    app = FastAPI(title="rag-chipwar", version="0.1.0",
                  description="Cited answers from a folder of articles: an OpenAI-compatible chat endpoint, the "
                              "Python API as JSON, and health and metrics for operators. The chat UI is at /.")
    errors.install(app)
    app.include_router(v1_router(state))
    operator_routes(app, state)
    app.add_middleware(BodyLimit, limit=settings.max_request_kb * 1024)
    app.add_middleware(_Counted, metrics=metrics)
    demo = build_app(corpus, index, watcher=watcher)
    app = gr.mount_gradio_app(app, demo, path="", auth=ui_auth(settings), theme=THEME, css=CSS,
                              max_file_size=f"{settings.max_upload_mb + 1}mb", footer_links=["api", "settings"],
                              ssr_mode=False, mcp_server=False)
    return app, state, demo


class _Counted:
    """ASGI middleware: :meth:`rag.http.metrics.Metrics.middleware` as a class Starlette can add."""

    def __init__(self, app: Any, metrics: Metrics):
        self.counted = metrics.middleware(app)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.counted(scope, receive, send)


def ui_auth(settings: Settings) -> Any:
    """The UI's login: ``auth_user`` / ``auth_password`` when set, and any user name with one of ``api_keys`` as its
    password when keys are set; ``None`` (no login) when neither is."""
    pair = (settings.auth_user, settings.auth_password) if settings.auth_user else None
    keys = settings.api_key_list
    if not keys:
        return pair

    def check(user: str, password: str) -> bool:
        return (pair is not None and (user, password) == pair) or password in keys

    return check


@dataclass
class Server:
    """A running server: its URL, app, UI and state; :meth:`close` stops the server, the warm-up and the watcher."""

    url: str
    app: FastAPI
    demo: gr.Blocks
    state: State
    watcher: Any
    _server: uvicorn.Server
    _thread: threading.Thread | None
    _stops: list[Any] = field(default_factory=list)

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        self.state.stopped.set()
        for stop in self._stops:
            stop()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.state.metrics.close()


def serve(corpus_dir: str | Path = "corpus", index_dir: str | Path = "index", host: str | None = None,
          port: int | None = None, *, watch: bool = False, insecure: bool = False, block: bool = True,
          quiet: bool = False) -> Server:
    """Serve the API and the UI on ``host:port`` (defaults from settings: 127.0.0.1:7860).

    :param watch: keep the index up to date with the corpus folder (:class:`rag.app.watch.CorpusWatcher`).
    :param insecure: serve beyond this machine with neither ``api_keys`` nor a UI login.
    :param block: run until stopped (Ctrl-C); ``False`` returns the running :class:`Server`.
    :raises ConfigError: an exposed host without keys or login (unless ``insecure``).
    """
    settings = load_settings()
    host, port = host or settings.host, port or settings.port
    check_exposure(settings, host, insecure)
    watcher = None
    if watch:
        from rag.app.watch import CorpusWatcher

        watcher = CorpusWatcher(Path(corpus_dir), Path(index_dir)).start()
    app, state, demo = create_app(corpus_dir, index_dir, settings, watcher)
    _warm_up(state)
    from rag.app import warmup

    warm_stop = warmup.start(state.index_dir)[1]
    config = uvicorn.Config(app, host=host, port=port, log_level="warning" if quiet else "info",
                            access_log=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/"
    stops = [warm_stop.set] + ([watcher.stop] if watcher is not None else [])
    if block:
        if not quiet:
            print(f"Serving on {url} (the chat UI; the API under {url}v1, its documentation at {url}docs)")
        try:
            server.run()
        finally:
            for stop in stops:
                stop()
            state.metrics.close()
        return Server(url, app, demo, state, watcher, server, None, [])
    thread = threading.Thread(target=server.run, name="rag-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise OSError(f"the server did not start on {host}:{port}")
        time.sleep(0.05)
    return Server(url, app, demo, state, watcher, server, thread, stops)


def _warm_up(state: State) -> None:
    """Load the embedding model and the index and run one answer, so the first question is answered quickly; the
    server is ready (``/readyz``) from then on. A missing index is reported when a question asks for it."""
    if not _try_warm(state):
        threading.Thread(target=_warm_when_built, args=(state,), name="rag-warm-wait", daemon=True).start()


def _try_warm(state: State) -> bool:
    """One warm-up answer (extractive: it warms the model and the index); marks the server ready when it works."""
    try:
        api.answer(WARM_UP_QUESTION, index_dir=state.index_dir, backend="extractive")
    except Exception:
        log.debug("warm-up failed", exc_info=True)
        return False
    state.warm.set()
    return True


def _warm_when_built(state: State, poll_seconds: float = 2.0) -> None:
    """Without an index at start-up the server is not ready; it becomes ready once a build makes one."""
    while not state.stopped.wait(poll_seconds) and not _try_warm(state):
        pass
