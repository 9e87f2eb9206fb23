"""The chat UI (Gradio 6): a thin shell over :mod:`rag.api`; no retrieval or answering logic lives here.

Layout:

* **Chat** tab: chatbot + question box on the left, the *Sources* panel on the right, settings in an accordion.
  Answers stream in word by word after :func:`rag.api.answer` returns. Each marker ``[n]`` is a link to
  ``#src-<turn>-<n>``; a document-level click handler (installed by the Sources panel's ``js_on_load``) opens, scrolls
  to and highlights the matching source card, which shows the passage with the cited sentence in ``<mark>``.
* **Corpus & index** tab: indexed documents, index status, *Rebuild index* (progress shown while embedding) and an
  upload control that copies vetted files into the corpus folder and runs the incremental build.
* API endpoint ``/ask`` (``gr.api``): ``ask(question, k=6, backend="extractive") -> Answer.to_dict()``; a
  :class:`rag.errors.RagError` becomes ``gr.Error(message)`` (the client raises ``AppError`` with that message).

Every piece of document text is HTML-escaped before it reaches the page: articles may contain hostile markup.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry, no version check

import html
import logging
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from rag import api
from rag.config import Settings, load_settings
from rag.errors import RagError
from rag.types import Answer, Citation, RetrievedChunk

log = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".md", ".txt", ".html", ".htm", ".pdf")
EXAMPLES = [
    "What node did SMIC reach without EUV lithography?",
    "Why did China blacklist TechInsights?",
    "What deadlines has Germany set for removing Huawei and ZTE gear?",
    "How many wafers per month can SMIC's advanced nodes produce?",
]
INTRO = (
    "Ask anything about the indexed news articles on the US–China chip war (Huawei, SMIC, EUV, export controls). "
    "Every sentence of an answer is cited **[n]**: click a marker to see the exact sentence in its article."
)
THINKING = "_Searching the articles…_"
KEEP_TURNS = 5          # source sections kept in the panel (latest open, earlier ones collapsed)
STREAM_SECONDS = 0.8    # an answer is revealed over about this long
MAX_STREAM_STEPS = 40
CONTEXT_CHARS = 360     # passage text shown either side of a cited sentence

THEME = gr.themes.Soft(
    primary_hue="indigo",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],  # system fonts: nothing fetched online
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

CSS = """
#intro p { margin: 0; }
#sources-col { position: sticky; top: 8px; }
.chatbot a.cite, #chatbot a[href^="#src-"] {
  text-decoration: none; font-weight: 600; font-size: 0.85em; padding: 0 3px; border-radius: 4px;
  background: var(--color-accent-soft); color: var(--color-accent); cursor: pointer; white-space: nowrap;
}
#chatbot a[href^="#src-"]:hover { background: var(--color-accent); color: white; }
#backend-hint p { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 0; }
#index-line p { margin: 0; }
#documents .virtual-row, #documents .virtual-row * { font-family: var(--font) !important; }
"""

SOURCES_CSS = """
.sources { max-height: 78vh; overflow-y: auto; padding-right: 4px; font-size: 0.92em; line-height: 1.45; }
.sources h3 { margin: 0 0 6px 0; font-size: 1.05em; }
.sources .src-question { color: var(--body-text-color-subdued); margin: 0 0 8px 0; font-style: italic; }
.sources .src-empty { color: var(--body-text-color-subdued); }
.sources .src-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  margin: 0 0 8px 0; background: var(--block-background-fill); transition: box-shadow .3s, border-color .3s; }
.sources .src-card.active { border-color: var(--color-accent); box-shadow: 0 0 0 3px var(--color-accent-soft); }
.sources .src-head { font-weight: 600; }
.sources .src-marker { display: inline-block; min-width: 1.8em; color: var(--color-accent); }
.sources .src-meta { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 2px 0 6px 0; }
.sources .src-meta code { font-size: 0.95em; }
.sources .src-passage { white-space: pre-wrap; margin: 0; }
.sources mark { background: #fde68a; color: inherit; padding: 0 1px; border-radius: 2px; }
.sources .src-abstain, .sources .src-error { border-left: 4px solid #f59e0b; padding: 6px 10px; margin-bottom: 10px;
  background: rgba(245, 158, 11, 0.08); border-radius: 4px; }
.sources .src-error { border-left-color: #dc2626; background: rgba(220, 38, 38, 0.08); }
.sources .src-notice { font-size: 0.85em; color: var(--body-text-color-subdued); margin: 0 0 6px 0; }
.sources details { margin-top: 10px; }
.sources summary { cursor: pointer; color: var(--body-text-color-subdued); }
"""

# Installed once per page by the Sources panel: clicking a marker link ``#src-<turn>-<n>`` anywhere (the chat
# included) opens the card's section, scrolls the card into view and highlights it. Capture phase, so the chat's own
# link handling (new tab) never runs for these links.
CITE_JS = """
if (!window.__ragCiteHandler) {
  window.__ragCiteHandler = function (ev) {
    const link = ev.target && ev.target.closest ? ev.target.closest('a[href^="#src-"]') : null;
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    const section = card.closest('details');
    if (section) section.open = true;
    document.querySelectorAll('.src-card.active').forEach(function (c) { c.classList.remove('active'); });
    card.classList.add('active');
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
  };
  document.addEventListener('click', window.__ragCiteHandler, true);
}
"""

EMPTY_PANEL = (
    '<div class="sources"><h3>Sources</h3><p class="src-empty">The passages behind each answer appear here, with the '
    "cited sentence highlighted. Click a marker such as <b>[1]</b> in an answer to jump to its source.</p></div>"
)


# ---------------------------------------------------------------------------------------------------------------
# Escaping and rendering (pure functions)

def esc(text: Any) -> str:
    """HTML-escape document or user text for the page. ``{``, ``}`` and ``$`` become entities too, so no template
    engine on the page can read the text as a placeholder."""
    return (html.escape(str(text), quote=True)
            .replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;"))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|~])")
_MARKER = re.compile(r"\[(\d+)\]")


def md_text(text: str) -> str:
    """Text for the chat's Markdown renderer: Markdown syntax neutralised with backslashes, HTML escaped."""
    return esc(_MD_SPECIAL.sub(r"\\\1", text))


def render_answer(text: str, citations: list[Citation], turn: int) -> str:
    """Chat message for an answer: escaped text, each known marker ``[n]`` a link to its source card."""
    titles = {c.marker: c.title for c in citations}
    out, pos = [], 0
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in titles:
            continue
        out.append(md_text(text[pos:m.start()]))
        out.append(f'<a class="cite" href="#src-{turn}-{n}" title="Source {n}: {esc(titles[n])}">[{n}]</a>')
        pos = m.end()
    out.append(md_text(text[pos:]))
    return "".join(out)


def passage_for(citation: Citation, passages: list[RetrievedChunk]) -> RetrievedChunk | None:
    """The retrieved passage that contains the citation's span (same document, chunk span covering it)."""
    for p in passages:
        if p.chunk.id == citation.chunk_id and p.chunk.start <= citation.start and citation.end <= p.chunk.end:
            return p
    for p in passages:
        if p.doc_id == citation.doc_id and p.chunk.start <= citation.start and citation.end <= p.chunk.end:
            return p
    return None


def _meta(date: str | None, source: str) -> str:
    parts = [esc(date)] if date else []
    parts.append(f"<code>{esc(source)}</code>")
    return " · ".join(parts)


def render_citation(citation: Citation, passages: list[RetrievedChunk], turn: int) -> str:
    p = passage_for(citation, passages)
    if p is not None:
        a, b = citation.start - p.chunk.start, citation.end - p.chunk.start
        text = p.chunk.text
        before, after = text[:a], text[b:]
        if len(before) > CONTEXT_CHARS:  # keep the passage readable: some context either side of the quote
            before = "… " + before[-CONTEXT_CHARS:].split(" ", 1)[-1]
        if len(after) > CONTEXT_CHARS:
            after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " …"
        body = f"{esc(before)}<mark>{esc(text[a:b])}</mark>{esc(after)}"
    else:
        body = f"<mark>{esc(citation.quote)}</mark>"
    return (
        f'<div class="src-card" id="src-{turn}-{citation.marker}" data-marker="{citation.marker}">'
        f'<div class="src-head"><span class="src-marker">[{citation.marker}]</span>'
        f'<span class="src-title">{esc(citation.title)}</span></div>'
        f'<div class="src-meta">{_meta(citation.date, citation.source)}</div>'
        f'<p class="src-passage">{body}</p></div>'
    )


def _snippet(text: str, limit: int = 320) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def render_section(result: Answer, turn: int) -> str:
    """The Sources panel section for one answer."""
    head = f'<p class="src-question">Q: {esc(result.question)}</p>'
    notices = "".join(f'<p class="src-notice">Note: {esc(n)}</p>' for n in result.notices)
    if result.status == "not_found":
        near = "".join(
            f'<div class="src-card near" id="src-{turn}-near-{i}"><div class="src-head">{esc(p.title)}</div>'
            f'<div class="src-meta">{_meta(p.chunk.date, p.source)}</div>'
            f'<p class="src-passage">{esc(_snippet(p.text))}</p></div>'
            for i, p in enumerate(result.passages[:5], 1)
        )
        return (
            head + notices
            + f'<div class="src-abstain"><b>No answer: {esc(result.reason or "nothing in the articles answers it")}.</b> '
              "The assistant says so instead of guessing."
              f"<br><i>{esc(result.text)}</i></div>"
            + (f"<h3>Closest passages considered</h3>{near}" if near else "<p>No passages were retrieved.</p>")
        )
    if result.status == "partial":  # the evidence is shown, but flagged as not a clear answer
        notices += (f'<div class="src-abstain"><b>Partial answer: {esc(result.reason or "not clearly answered")}.</b> '
                    "These are the closest sentences in the articles.</div>")
    cards = "".join(render_citation(c, result.passages, turn) for c in result.citations)
    return head + notices + (cards or '<p class="src-empty">This answer has no citations.</p>')


def render_error(question: str, message: str) -> str:
    return f'<p class="src-question">Q: {esc(question)}</p><div class="src-error"><b>Error:</b> {esc(message)}</div>'


def render_panel(sections: list[tuple[str, str]]) -> str:
    """The whole panel: the latest answer's sources, earlier answers' sources collapsed below."""
    if not sections:
        return EMPTY_PANEL
    (_, latest), earlier = sections[-1], sections[:-1]
    parts = ['<div class="sources"><h3>Sources for the latest answer</h3>', latest]
    for question, body in reversed(earlier):
        parts.append(f"<details><summary>Earlier: {esc(_snippet(question, 80))}</summary>{body}</details>")
    parts.append("</div>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# Corpus uploads

def safe_filename(name: str) -> str:
    """A harmless file name: basename only, ASCII ``[A-Za-z0-9._-]``, no leading dot or dash, no ``..``,
    extension lower-cased, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFKD", base) if not unicodedata.combining(ch))
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)
    base = re.sub(r"\.{2,}", ".", base).lstrip("._-")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.strip("._-")[:100] or "upload"
    return f"{stem}.{ext.lower()}" if ext else stem


def store_upload(src: str | Path, corpus_dir: str | Path, max_bytes: int) -> tuple[bool, str]:
    """Copy one uploaded file into ``corpus_dir`` (top level only). Returns (accepted, message for the user).

    Never overwrites: an existing file with the same content is left alone, a different one makes the upload
    take a numeric suffix (``name-1.md``)."""
    src = Path(src)
    shown = src.name
    name = safe_filename(src.name)
    suffix = Path(name).suffix
    if suffix not in UPLOAD_SUFFIXES:
        return False, f"{shown}: rejected, only {' '.join(UPLOAD_SUFFIXES)} files are accepted"
    try:
        size = src.stat().st_size
    except OSError as exc:
        return False, f"{shown}: rejected, the upload could not be read ({exc.strerror})"
    if size > max_bytes:
        return False, f"{shown}: rejected, {size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit"
    if size == 0:
        return False, f"{shown}: rejected, the file is empty"
    data = src.read_bytes()
    corpus = Path(corpus_dir).resolve()
    corpus.mkdir(parents=True, exist_ok=True)
    stem = name[: -len(suffix)]
    for i in range(1000):
        target = corpus / (name if i == 0 else f"{stem}-{i}{suffix}")
        if target.resolve().parent != corpus:  # cannot happen with a sanitised name; belt and braces
            return False, f"{shown}: rejected, unsafe file name"
        if target.exists() or target.is_symlink():
            if not target.is_symlink() and target.is_file() and target.read_bytes() == data:
                return True, f"{shown}: already in the corpus as {target.name} (identical), nothing to add"
            continue
        try:
            with open(target, "xb") as fh:  # exclusive create: never replaces a file that appeared meanwhile
                fh.write(data)
        except FileExistsError:
            continue
        renamed = "" if target.name == shown else f" as {target.name}"
        return True, f"{shown}: added{renamed}"
    return False, f"{shown}: rejected, too many files with this name"


# ---------------------------------------------------------------------------------------------------------------
# The app

def _backend_choices(settings: Settings) -> tuple[list[str], str]:
    choices, missing = ["extractive"], []
    if settings.llama_configured:
        choices.append("llama-cpp")
    else:
        missing.append("**llama-cpp**: set `RAG_LLM_MODEL_PATH` (`llm_model_path` in rag.toml) to a local GGUF file")
    if settings.openai_configured:
        choices.append("openai")
    else:
        missing.append("**openai**: set `RAG_OPENAI_BASE_URL` + `RAG_OPENAI_MODEL` (`openai_base_url`, "
                       "`openai_model` in rag.toml)")
    hint = ("Not configured: " + "; ".join(missing) + "; then restart.") if missing else "All backends are configured."
    return choices, hint


def _documents_table(index_dir: Path) -> list[list[Any]]:
    from rag.index import load_index

    try:
        snapshot = load_index(index_dir)
    except RagError:
        return []
    counts = Counter(c.doc_id for c in snapshot.chunks)
    rows = [[d.title, d.date or "", d.source, counts.get(d.id, 0)] for d in snapshot.documents.values()]
    rows.sort(key=lambda r: r[0].lower())
    rows.sort(key=lambda r: r[1], reverse=True)  # newest first, undated last, then by title
    return rows


def _status_line(corpus_dir: Path, index_dir: Path) -> str:
    try:
        return md_text(api.index_status(corpus_dir, index_dir).describe())
    except RagError as exc:
        return md_text(str(exc))


def _stream_steps(text: str) -> Iterator[str]:
    """Growing prefixes of ``text``, split at word boundaries, about ``MAX_STREAM_STEPS`` of them."""
    words = re.findall(r"\S+\s*", text)
    step = max(1, -(-len(words) // MAX_STREAM_STEPS))
    for i in range(step, len(words), step):
        yield "".join(words[:i])
    yield text


def build_app(corpus_dir: str | Path = "corpus", index_dir: str | Path = "index") -> gr.Blocks:
    """The Gradio app over ``corpus_dir`` / ``index_dir``. Launch it with :func:`launch` (which adds the theme and
    CSS: ``demo.launch(theme=THEME, css=CSS)``)."""
    settings = load_settings()
    corpus = Path(corpus_dir).resolve()
    index = Path(index_dir).resolve()
    choices, hint = _backend_choices(settings)
    default_backend = settings.backend if settings.backend in choices else "extractive"
    max_bytes = settings.max_upload_mb * 2**20

    # -- chat ------------------------------------------------------------------------------------------------
    def respond(message: str, chat: list[dict], history: list[dict], sections: list[tuple[str, str]],
                backend: str, k: float, sentences: float):
        question = (message or "").strip()
        chat = list(chat or [])
        if not question:
            yield chat, "", gr.skip(), history, sections
            return
        chat.append({"role": "user", "content": md_text(question)})
        turn = sum(1 for m in chat if isinstance(m, dict) and m.get("role") == "user")  # unique per page
        chat.append({"role": "assistant", "content": THINKING})
        yield chat, "", gr.skip(), history, sections  # the question shows at once
        result, streamed = None, False
        try:
            # LLM backends: show the unverified draft as the server sends tokens; the verified answer replaces it
            for event in api.answer_stream(question, history=list(history or []), k=int(k), backend=backend,
                                           index_dir=index, max_sentences=int(sentences)):
                if isinstance(event, api.Draft):
                    streamed = True
                    chat[-1] = {"role": "assistant", "content": "✍️ *Draft, being checked…*\n\n" + md_text(event.text)}
                    yield chat, "", gr.skip(), history, sections
                else:
                    result = event
        except RagError as exc:
            chat[-1] = {"role": "assistant", "content": "⚠️ " + md_text(str(exc))}
            sections = (list(sections or []) + [(question, render_error(question, str(exc)))])[-KEEP_TURNS:]
            yield chat, "", render_panel(sections), history, sections
            return
        except Exception as exc:  # not the user's fault: log it, show one line
            log.exception("answering %r failed", question)
            message = f"Unexpected error while answering ({type(exc).__name__}); see the server log."
            chat[-1] = {"role": "assistant", "content": "⚠️ " + md_text(message)}
            yield chat, "", gr.skip(), history, sections
            return
        pause = STREAM_SECONDS / MAX_STREAM_STEPS
        for partial in [result.text] if streamed else _stream_steps(result.text):
            chat[-1] = {"role": "assistant", "content": render_answer(partial, result.citations, turn)}
            yield chat, "", gr.skip(), history, sections
            time.sleep(pause)
        sections = (list(sections or []) + [(question, render_section(result, turn))])[-KEEP_TURNS:]
        history = list(history or []) + [{"role": "user", "content": question},
                                         {"role": "assistant", "content": result.text}]
        yield chat, "", render_panel(sections), history, sections

    def pick_example(evt: gr.SelectData) -> str:
        value = evt.value
        return value.get("text", "") if isinstance(value, dict) else str(value)

    def new_conversation():
        return [], "", EMPTY_PANEL, [], []

    # -- corpus & index --------------------------------------------------------------------------------------
    def refresh():
        return _status_line(corpus, index), _documents_table(index)

    def run_build(lines: list[str]) -> Iterator[tuple[str, Any, Any]]:
        state: dict[str, Any] = {"done": 0, "total": 0}

        def progress(done: int, total: int) -> None:
            state["done"], state["total"] = done, total

        def work() -> None:
            try:
                state["report"] = api.build_index(corpus, index, progress=progress)
            except RagError as exc:
                state["error"] = str(exc)
            except Exception as exc:
                log.exception("index build failed")
                state["error"] = f"unexpected error ({type(exc).__name__}: {exc}); see the server log"

        started = time.monotonic()
        worker = threading.Thread(target=work, name="rag-ui-build", daemon=True)
        worker.start()
        head = "\n".join(lines + [""]) if lines else ""
        while worker.is_alive():
            elapsed = time.monotonic() - started
            if state["total"]:
                pct = 100 * state["done"] / state["total"]
                now = f"Rebuilding: embedding {state['done']} of {state['total']} new chunks ({pct:.0f}%), {elapsed:.0f}s"
            else:
                now = f"Rebuilding: reading the corpus and comparing with the index… {elapsed:.0f}s"
            yield head + now, gr.skip(), gr.skip()
            worker.join(0.4)
        if "error" in state:
            final = f"Rebuild failed: {state['error']}"
        else:
            report = state["report"]
            final = f"Index updated: {report.summary()}"
            if report.skipped:
                final += "\nSkipped (unreadable): " + "; ".join(report.skipped)
        status, table = refresh()
        yield head + final, status, table

    def rebuild():
        yield from run_build([])

    def add_files(files: list[str] | None):
        if not files:
            yield "No files received.", gr.skip(), gr.skip(), gr.skip()
            return
        lines = [store_upload(f, corpus, max_bytes)[1] for f in (files if isinstance(files, list) else [files])]
        for text, status, table in run_build(lines):
            yield text, status, table, None

    # -- API -------------------------------------------------------------------------------------------------
    def ask(question: str, k: int = 6, backend: str = "extractive") -> dict:
        """Answer a question from the indexed articles.

        Returns Answer.to_dict(): text (with [n] markers), citations (marker, doc_id, title, source, quote, start,
        end, chunk_id, date), abstained, passages, support, timings, backend, notices. Invalid input, an unconfigured
        backend or a missing index raise gr.Error with the reason.
        """
        try:
            return api.answer(question, k=k, backend=backend, index_dir=index).to_dict()
        except RagError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    def ask_stream(question: str, k: int = 6, backend: str = "extractive") -> Iterator[str]:
        """The answer text as the chat streams it: growing prefixes, markers included. Errors as for /ask."""
        try:
            result = api.answer(question, k=k, backend=backend, index_dir=index)
        except RagError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        yield from _stream_steps(result.text)

    with gr.Blocks(title="Chip-war articles: cited answers", analytics_enabled=False) as demo:
        gr.Markdown("## Chip-war articles: cited answers\n" + INTRO, elem_id="intro")
        history = gr.State([])
        sections = gr.State([])
        with gr.Tab("Chat", id="chat"):
            with gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=380):
                    chatbot = gr.Chatbot(
                        elem_id="chatbot", label="Conversation", height=520, layout="bubble",
                        examples=[{"text": q, "display_text": q} for q in EXAMPLES],
                        placeholder="**Try one of these questions**, or type your own below.",
                        latex_delimiters=[], feedback_options=None, buttons=["copy"], autoscroll=True,
                    )
                    question = gr.Textbox(
                        elem_id="question", show_label=False, submit_btn="Ask", lines=1, max_lines=4, autofocus=True,
                        placeholder="Ask a question about the articles, e.g. Why did China blacklist TechInsights?",
                    )
                    with gr.Row():
                        clear = gr.Button("New conversation", size="sm", variant="secondary")
                    with gr.Accordion("Settings", open=False):
                        backend = gr.Dropdown(choices, value=default_backend, label="Answer backend",
                                              interactive=len(choices) > 1)
                        gr.Markdown(hint, elem_id="backend-hint")
                        k = gr.Slider(1, 20, value=min(max(settings.k, 1), 20), step=1,
                                      label="Passages to retrieve (k)")
                        sentences = gr.Slider(1, 10, value=min(max(settings.answer_sentences, 1), 10), step=1,
                                              label="Answer length (sentences)")
                with gr.Column(scale=2, min_width=320, elem_id="sources-col"):
                    sources = gr.HTML(EMPTY_PANEL, elem_id="sources", css_template=SOURCES_CSS,
                                      js_on_load=CITE_JS)
        with gr.Tab("Corpus & index", id="corpus"):
            status_line = gr.Markdown(elem_id="index-line")
            with gr.Row():
                rebuild_btn = gr.Button("Rebuild index", variant="primary", elem_id="rebuild", scale=0,
                                        min_width=160)
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

        chat_io = dict(inputs=[question, chatbot, history, sections, backend, k, sentences],
                       outputs=[chatbot, question, sources, history, sections])
        question.submit(respond, **chat_io, api_visibility="private", concurrency_limit=4,
                        concurrency_id="chat", show_progress="hidden")
        chatbot.example_select(pick_example, None, question, api_visibility="private", queue=False).then(
            respond, **chat_io, api_visibility="private", concurrency_limit=4, concurrency_id="chat",
            show_progress="hidden")
        for trigger in (clear.click, chatbot.clear):
            trigger(new_conversation, None, [chatbot, question, sources, history, sections],
                    api_visibility="private", queue=False)

        build_outputs = [build_status, status_line, docs]
        rebuild_btn.click(rebuild, None, build_outputs, api_visibility="private", concurrency_limit=1,
                          concurrency_id="build", show_progress="hidden")
        uploads.upload(add_files, uploads, build_outputs + [uploads], api_visibility="private",
                       concurrency_limit=1, concurrency_id="build", show_progress="hidden")
        demo.load(refresh, None, [status_line, docs], api_visibility="private")

        gr.api(ask, api_name="ask", concurrency_limit=4, concurrency_id="ask")
        gr.api(ask_stream, api_name="ask_stream", concurrency_limit=4, concurrency_id="ask")

    # Chat, /ask and a rebuild run side by side: answer() keeps reading the old snapshot until the new one is live.
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def _warm_up(index_dir: str | Path) -> None:
    """Load the embedding model and the index, and run one answer, so the first question is answered quickly."""
    try:
        api.answer("Which semiconductor export controls are mentioned?", index_dir=index_dir)
    except Exception:  # a missing index is reported to the user when they ask
        log.debug("warm-up failed", exc_info=True)


def launch(corpus_dir: str | Path = "corpus", index_dir: str | Path = "index", host: str | None = None,
           port: int | None = None, *, prevent_thread_lock: bool = False, quiet: bool = False) -> gr.Blocks:
    """Serve the UI on ``host:port`` (defaults from settings: 127.0.0.1:7860); login when ``auth_user`` and
    ``auth_password`` are set. Blocks until stopped unless ``prevent_thread_lock``; returns the app."""
    settings = load_settings()
    demo = build_app(corpus_dir, index_dir)
    auth = (settings.auth_user, settings.auth_password) if settings.auth_user and settings.auth_password else None
    # Warm up (model, index, caches) before the URL is printed, so the first question does not wait for it.
    _warm_up(Path(index_dir).resolve())
    demo.launch(
        server_name=host or settings.host,
        server_port=port or settings.port,
        auth=auth,
        share=False,
        inbrowser=False,
        ssr_mode=False,
        mcp_server=False,
        max_file_size=f"{settings.max_upload_mb + 1}mb",
        theme=THEME,
        css=CSS,
        footer_links=["api", "settings"],
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
    )
    return demo
