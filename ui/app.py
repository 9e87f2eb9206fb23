"""The chat UI (Gradio 6): layout, its wiring and :func:`launch`; a thin shell over :mod:`rag.app.api`.

No retrieval or answering logic lives here, and no HTML building either:

* ``ui/handlers.py``: the handlers that do not depend on the layout (the chat handler that streams an answer,
  saving and re-opening conversations, the Corpus tab's table and status line, the backend menu);
* ``ui/render.py``: HTML for answers (markers, support badges, dates) and the Sources panel (conflicts, removed
  sentences, changed-source flags);
* ``ui/static/``: the page's CSS and the marker / sort-by-date click handlers (JavaScript);
* ``ui/texts.py``: title, intro and example questions from configuration;
* ``rag/corpus.py``: vetting uploads; ``rag/transcript.py``: saved conversations; ``rag/watch.py``: the folder
  watcher.

Layout:

* **Chat** tab: chatbot + question box on the left, the *Sources* panel on the right, settings in an accordion,
  export / re-open of the conversation. Each marker ``[n]`` links to ``#src-<turn>-<n>``; clicking it opens, scrolls
  to and highlights the source card, which shows the passage with the cited sentence in ``<mark>``.
* **Corpus & index** tab: indexed documents, index status, *Rebuild index*, uploads, and (with ``watch``) what the
  folder watcher changed.
* API endpoints ``/ask`` and ``/ask_stream`` (``gr.api``); a :class:`rag.core.errors.RagError` becomes ``gr.Error``.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no version check

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from rag.core.config import Settings, load_settings
from rag.ingest.corpus import UPLOAD_SUFFIXES, safe_filename, store_upload  # noqa: F401  (re-exported for callers)
from ui import handlers
from ui.jobs import build_with_progress
from ui.render import (  # noqa: F401
    EMPTY_PANEL,
    esc,
    md_text,
    render_answer,
    render_error,
    render_panel,
    render_section,
    stream_steps,
)
from ui.texts import UiTexts, ui_texts

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
CSS = (STATIC / "app.css").read_text(encoding="utf-8")
SOURCES_CSS = (STATIC / "sources.css").read_text(encoding="utf-8")
CITE_JS = (STATIC / "cite.js").read_text(encoding="utf-8")
WATCH_REFRESH_SECONDS = 2.0

THEME = gr.themes.Soft(
    primary_hue="indigo",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],  # system fonts: nothing fetched online
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
).set(  # secondary text (dates, file names, the question echo) readable in both modes: WCAG AA contrast
    body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_300",
)


@dataclass
class _Chat:
    """The Chat tab's components."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    clear: gr.Button
    export_btn: gr.Button
    reopen_btn: gr.UploadButton
    exported: gr.File
    backend: gr.Dropdown
    k: gr.Slider
    sentences: gr.Slider
    sources: gr.HTML


@dataclass
class _Corpus:
    """The Corpus & index tab's components."""

    status_line: gr.Markdown
    watch_line: gr.Markdown
    rebuild_btn: gr.Button
    build_status: gr.Textbox
    uploads: gr.File
    docs: gr.Dataframe


def build_app(corpus_dir: str | Path = "corpus", index_dir: str | Path = "index", watcher: Any = None) -> gr.Blocks:
    """The Gradio app over ``corpus_dir`` / ``index_dir``. Launch it with :func:`launch` (which adds the theme and
    CSS: ``demo.launch(theme=THEME, css=CSS)``). ``watcher``: a running :class:`rag.app.watch.CorpusWatcher` whose
    automatic updates the Corpus tab shows."""
    settings = load_settings()
    corpus = Path(corpus_dir).resolve()
    index = Path(index_dir).resolve()
    texts = ui_texts(settings, corpus)
    with gr.Blocks(title=texts.title, analytics_enabled=False) as demo:
        gr.Markdown(f"## {texts.title}\n" + texts.intro, elem_id="intro")
        with gr.Tab("Chat", id="chat"):
            chat = _chat_tab(settings, texts)
        with gr.Tab("Corpus & index", id="corpus"):
            corpus_tab = _corpus_tab(settings, watcher)
        _wire_chat(demo, chat, index)
        _wire_corpus(demo, corpus_tab, corpus, index, settings, watcher)
        _api(index)
    # Chat, /ask and a rebuild run side by side: answer() keeps reading the old snapshot until the new one is live.
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def _chat_tab(settings: Settings, texts: UiTexts) -> _Chat:
    """The conversation, its buttons and settings, and the Sources panel."""
    choices, hint = handlers.backend_choices(settings)
    default_backend = settings.backend if settings.backend in choices else "extractive"
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=380):
            chatbot = gr.Chatbot(
                elem_id="chatbot", label="Conversation", height=520, layout="bubble",
                examples=[{"text": q, "display_text": q} for q in texts.examples] or None,
                placeholder=("**Try one of these questions**, or type your own below." if texts.examples
                             else "**Ask a question** about the articles below."),
                latex_delimiters=[], feedback_options=None, buttons=["copy"], autoscroll=True,
            )
            question = gr.Textbox(
                elem_id="question", show_label=False, submit_btn="Ask", lines=1, max_lines=4, autofocus=True,
                placeholder="Ask a question about the articles"
                            + (f", e.g. {texts.examples[0]}" if texts.examples else ""),
            )
            with gr.Row():
                clear = gr.Button("New conversation", size="sm", variant="secondary")
                export_btn = gr.Button("Export conversation", size="sm", variant="secondary", elem_id="export")
                reopen_btn = gr.UploadButton("Re-open saved conversation", size="sm", variant="secondary",
                                             file_types=[".json", ".md"], elem_id="reopen")
            exported = gr.File(label="Saved conversation (JSON and Markdown, citation anchors kept)",
                               file_count="multiple", interactive=False, visible=False, elem_id="exported")
            with gr.Accordion("Settings", open=False):
                backend = gr.Dropdown(choices, value=default_backend, label="Answer backend",
                                      interactive=len(choices) > 1)
                gr.Markdown(hint, elem_id="backend-hint")
                k = gr.Slider(1, 20, value=min(max(settings.k, 1), 20), step=1, label="Passages to retrieve (k)")
                sentences = gr.Slider(1, 10, value=min(max(settings.answer_sentences, 1), 10), step=1,
                                      label="Answer length (sentences)")
        with gr.Column(scale=2, min_width=320, elem_id="sources-col"):
            sources = gr.HTML(EMPTY_PANEL, elem_id="sources", css_template=SOURCES_CSS, js_on_load=CITE_JS)
    return _Chat(chatbot, question, clear, export_btn, reopen_btn, exported, backend, k, sentences, sources)


def _corpus_tab(settings: Settings, watcher: Any) -> _Corpus:
    """The index status, the rebuild button, uploads and the table of indexed documents."""
    status_line = gr.Markdown(elem_id="index-line")
    watch_line = gr.Markdown(md_text(watcher.describe()) if watcher else "", elem_id="watch-line",
                             visible=watcher is not None)
    with gr.Row():
        rebuild_btn = gr.Button("Rebuild index", variant="primary", elem_id="rebuild", scale=0, min_width=160)
    build_status = gr.Textbox(label="Build status", elem_id="build-status", lines=3, max_lines=12,
                              interactive=False, placeholder="Press “Rebuild index” or add files below.")
    uploads = gr.File(
        label=f"Add articles to the corpus ({' '.join(UPLOAD_SUFFIXES)}; up to {settings.max_upload_mb} MB "
              "each); the index is updated right after",
        file_count="multiple", file_types=list(UPLOAD_SUFFIXES), elem_id="upload",
    )
    docs = gr.Dataframe(headers=["Title", "Date", "Source file", "Chunks"], datatype=["str", "str", "str",
                        "number"], interactive=False, wrap=True, label="Indexed documents",
                        elem_id="documents", column_widths=["55%", "12%", "25%", "8%"])
    return _Corpus(status_line, watch_line, rebuild_btn, build_status, uploads, docs)


def _wire_chat(demo: gr.Blocks, chat: _Chat, index: Path) -> None:
    """The chat's events (ui/handlers.py does the work). The conversation is also kept in the browser
    (``gr.BrowserState``, the last :data:`ui.handlers.KEEP_TURNS` answers), so a page reload shows it again."""
    history, sections, answers = gr.State([]), gr.State([]), gr.State([])
    saved = gr.BrowserState([], storage_key="rag-conversation",
                            secret=hashlib.sha256(f"rag-chipwar:{index}".encode()).hexdigest())

    def respond(*inputs: Any) -> Iterator[Any]:
        """The chat's answer, and the browser's copy of the conversation with the same update that adds it (a page
        reloaded right after an answer shows it too)."""
        before = inputs[4]
        for out in handlers.respond(index, *inputs):
            changed = out[5] is not before and isinstance(out[5], list)
            yield (*out, keep(out[5]) if changed else gr.skip())

    def reopen(file: Any) -> Any:
        return handlers.reopen(index, file)

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    def new_conversation() -> tuple[Any, ...]:  # the previous conversation's export goes too
        return [], "", EMPTY_PANEL, [], [], [], gr.File(value=None, visible=False), []

    def keep(kept: list[dict]) -> list[dict]:
        return list(kept or [])[-handlers.KEEP_TURNS:]

    state = [history, sections, answers]
    chat_io: dict[str, Any] = dict(
        inputs=[chat.question, chat.chatbot, *state, chat.backend, chat.k, chat.sentences],
        outputs=[chat.chatbot, chat.question, chat.sources, *state, saved])
    # A question sent while the previous one is still being answered runs right after it (always_last), instead
    # of being dropped; the box keeps what was typed until then.
    chat.question.submit(respond, **chat_io, api_visibility="private", concurrency_limit=4,
                         concurrency_id="chat", show_progress="hidden", trigger_mode="always_last")
    chat.chatbot.example_select(pick_example, None, chat.question, api_visibility="private", queue=False).then(
        respond, **chat_io, api_visibility="private", concurrency_limit=4, concurrency_id="chat",
        show_progress="hidden")
    for trigger in (chat.clear.click, chat.chatbot.clear):
        trigger(new_conversation, None, [chat.chatbot, chat.question, chat.sources, *state, chat.exported, saved],
                api_visibility="private", queue=False)
    chat.export_btn.click(handlers.export, answers, chat.exported, api_visibility="private")
    chat.reopen_btn.upload(reopen, chat.reopen_btn, [chat.chatbot, chat.sources, *state],
                           api_visibility="private").then(keep, answers, saved, api_visibility="private", queue=False)
    demo.load(handlers.restore, saved, [chat.chatbot, chat.sources, *state], api_visibility="private")


def _wire_corpus(demo: gr.Blocks, tab: _Corpus, corpus: Path, index: Path, settings: Settings, watcher: Any) -> None:
    """Rebuilds, uploads, the status line and table, and the watcher's updates."""
    from rag.ingest.workers import limits_from

    max_bytes, limits = settings.max_upload_mb * 2**20, limits_from(settings)

    def refresh() -> tuple[Any, Any]:
        return handlers.status_line(corpus, index), handlers.documents_table(index)

    def run_build(lines: list[str]) -> Iterator[tuple[str, Any, Any]]:
        for text, done in build_with_progress(corpus, index, lines):
            yield (text, *refresh()) if done else (text, gr.skip(), gr.skip())

    def rebuild() -> Iterator[tuple[str, Any, Any]]:
        yield from run_build([])

    def add_files(files: list[str] | None) -> Iterator[tuple[Any, ...]]:
        if not files:
            yield "No files received.", gr.skip(), gr.skip(), gr.skip()
            return
        lines = [store_upload(f, corpus, max_bytes, limits)[1] for f in (files if isinstance(files, list) else [files])]
        for text, status, table in run_build(lines):
            yield text, status, table, None

    seen_events = {"n": -1}

    def watch_tick() -> tuple[Any, ...]:
        n = len(watcher.events)
        if n == seen_events["n"]:
            return md_text(watcher.describe()), gr.skip(), gr.skip()
        seen_events["n"] = n
        return (md_text(watcher.describe()), *refresh())

    build_outputs = [tab.build_status, tab.status_line, tab.docs]
    tab.rebuild_btn.click(rebuild, None, build_outputs, api_visibility="private", concurrency_limit=1,
                          concurrency_id="build", show_progress="hidden")
    tab.uploads.upload(add_files, tab.uploads, build_outputs + [tab.uploads], api_visibility="private",
                       concurrency_limit=1, concurrency_id="build", show_progress="hidden")
    demo.load(refresh, None, [tab.status_line, tab.docs], api_visibility="private")
    if watcher is not None:
        gr.Timer(WATCH_REFRESH_SECONDS).tick(watch_tick, None, [tab.watch_line, tab.status_line, tab.docs],
                                             api_visibility="private", show_progress="hidden")


def _api(index: Path) -> None:
    """The Gradio API routes: ``/ask`` (the whole Answer) and ``/ask_stream`` (the text as the chat streams it);
    the handlers are :func:`ui.handlers.api_ask` and :func:`ui.handlers.api_ask_stream`."""

    def ask(question: str, k: int = 6, backend: str = "extractive") -> dict:
        """Answer a question from the indexed articles.

        Returns Answer.to_dict(): question, rewritten_question, text (with [n] markers), status, reason, confidence,
        scorer, citations (marker, doc_id, title, source, quote, start, end, chunk_id, date, anchor), abstained,
        passages, support, conflicts, timings, backend, notices. Invalid
        input, an unconfigured backend or a missing index raise gr.Error with the reason.
        """
        return handlers.api_ask(index, question, k, backend)

    def ask_stream(question: str, k: int = 6, backend: str = "extractive") -> Iterator[str]:
        """The answer text as the chat streams it: growing prefixes, markers included. Errors as for /ask."""
        yield from handlers.api_ask_stream(index, question, k, backend)

    gr.api(ask, api_name="ask", concurrency_limit=4, concurrency_id="ask")
    gr.api(ask_stream, api_name="ask_stream", concurrency_limit=4, concurrency_id="ask")
