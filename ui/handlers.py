"""The UI's event handlers that are independent of the layout (:mod:`ui.app` wires them to its components): the chat
handler that streams an answer into the chat and the Sources panel, saving and re-opening conversations, and what
the Corpus tab and the settings show. Like the rest of the UI, a thin shell over :mod:`rag.app.api`.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import gradio as gr

from rag.app import api
from rag.core.config import Settings
from rag.core.errors import RagError
from rag.core.types import Answer
from ui.render import (
    EMPTY_PANEL,
    md_text,
    render_answer,
    render_error,
    render_panel,
    render_section,
    stream_steps,
)

log = logging.getLogger(__name__)

THINKING = "_Searching the articles…_"
KEEP_TURNS = 30         # source sections kept in the panel (latest open, earlier ones collapsed); an older
                        # answer's markers then say that its sources are no longer shown (ui/static/cite.js)
STREAM_SECONDS = 0.8    # an answer is revealed over about this long


def backend_choices(settings: Settings) -> tuple[list[str], str]:
    """The answer backends the settings make usable (extractive always), and a hint on configuring the others."""
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


def documents_table(index_dir: Path) -> list[list[Any]]:
    """The Corpus tab's table: title, date, source file and chunks of every indexed document, newest first."""
    from rag.index.snapshot import load_index

    try:
        snapshot = load_index(index_dir)
    except RagError:
        return []
    counts = Counter(c.doc_id for c in snapshot.chunks)
    rows = [[d.title, d.date or "", d.source, counts.get(d.id, 0)] for d in snapshot.documents.values()]
    rows.sort(key=lambda r: r[0].lower())
    rows.sort(key=lambda r: r[1], reverse=True)  # newest first, undated last, then by title
    return rows


def status_line(corpus_dir: Path, index_dir: Path) -> str:
    """The index's status (up to date, stale, missing) as one Markdown line."""
    try:
        return md_text(api.index_status(corpus_dir, index_dir).describe())
    except RagError as exc:
        return md_text(str(exc))


def turn_messages(answer: Answer, turn: int) -> list[dict]:
    """A saved answer as the two chat messages it was shown as."""
    return [{"role": "user", "content": md_text(answer.question)},
            {"role": "assistant", "content": render_answer(answer.text, answer.citations, turn, answer.support,
                                                           status=answer.status, notices=answer.notices,
                                                           short=answer.short_answer)}]


def respond(index: Path, message: str, chat: list[dict], history: list[dict], sections: list[tuple[str, str]],
            answers: list[dict], backend: str, k: float, sentences: float):
    """Turn a question into a streamed answer: the chat, the question box, the Sources panel and the states, yielded
    as the answer arrives (an LLM draft first, then the verified answer revealed over :data:`STREAM_SECONDS`)."""
    question = (message or "").strip()
    chat = list(chat or [])
    if not question:
        yield chat, "", gr.skip(), history, sections, answers
        return
    chat.append({"role": "user", "content": md_text(question)})
    turn = sum(1 for m in chat if isinstance(m, dict) and m.get("role") == "user")  # unique per page
    chat.append({"role": "assistant", "content": THINKING})
    yield chat, "", gr.skip(), history, sections, answers  # the question shows at once
    # from here on the question box is left alone: the user may be typing the next question
    result, streamed = None, False
    try:
        # LLM backends: show the unverified draft as the server sends tokens; the verified answer replaces it
        for event in api.answer_stream(question, history=list(history or []), k=int(k), backend=backend,
                                       index_dir=index, max_sentences=int(sentences)):
            if isinstance(event, api.Draft):
                streamed = True
                chat[-1] = {"role": "assistant", "content": "✍️ *Draft, being checked…*\n\n" + md_text(event.text)}
                yield chat, gr.skip(), gr.skip(), history, sections, answers
            else:
                result = event
    except RagError as exc:
        chat[-1] = {"role": "assistant", "content": "⚠️ " + md_text(str(exc))}
        sections = (list(sections or []) + [(question, render_error(question, str(exc)))])[-KEEP_TURNS:]
        yield chat, gr.skip(), render_panel(sections), history, sections, answers
        return
    except Exception as exc:  # not the user's fault: log it, show one line
        log.exception("answering %r failed", question)
        message = f"Unexpected error while answering ({type(exc).__name__}); see the server log."
        chat[-1] = {"role": "assistant", "content": "⚠️ " + md_text(message)}
        yield chat, gr.skip(), gr.skip(), history, sections, answers
        return
    pause = STREAM_SECONDS / 40
    for partial in [result.text] if streamed else stream_steps(result.text):
        chat[-1] = {"role": "assistant", "content": render_answer(partial, result.citations, turn, result.support,
                                                                  status=result.status, notices=result.notices,
                                                                  short=result.short_answer)}
        yield chat, gr.skip(), gr.skip(), history, sections, answers
        time.sleep(pause)
    sections = (list(sections or []) + [(question, render_section(result, turn))])[-KEEP_TURNS:]
    history = list(history or []) + [{"role": "user", "content": question},
                                     {"role": "assistant", "content": result.text}]
    answers = list(answers or []) + [result.to_dict()]
    yield chat, gr.skip(), render_panel(sections), history, sections, answers


def api_ask(index: Path, question: Any, k: Any = 6, backend: Any = "extractive") -> dict:
    """The ``/ask`` route: ``Answer.to_dict()`` for whatever a client sent. A bad input, an unconfigured backend or a
    missing index is a ``gr.Error`` with the reason; anything else is logged and a ``gr.Error`` that names no more
    than its type, never a traceback."""
    try:
        return api.answer(question, k=k, backend=backend, index_dir=index).to_dict()
    except RagError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    except Exception as exc:
        log.exception("/ask failed for %r", question)
        raise gr.Error(f"Unexpected error while answering ({type(exc).__name__}); see the server log.",
                       print_exception=False) from None


def api_ask_stream(index: Path, question: Any, k: Any = 6, backend: Any = "extractive"):
    """The ``/ask_stream`` route: the answer text as the chat streams it (growing prefixes); errors as for
    :func:`api_ask`."""
    yield from stream_steps(api_ask(index, question, k, backend)["text"])


def export(answers: list[dict]):
    """Write the conversation as JSON and Markdown (citation anchors kept) for download."""
    from rag.app.transcript import answer_from_dict, to_json, to_markdown

    if not answers:  # a notice, not an error state: the (hidden) file box stays as it is
        gr.Warning("Nothing to export yet: ask a question first.")
        return gr.File(value=None, visible=False)
    records = [answer_from_dict(a) for a in answers]
    folder = Path(tempfile.mkdtemp(prefix="rag-conversation-"))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (folder / f"conversation-{stamp}.json").write_text(to_json(records), encoding="utf-8")
    (folder / f"conversation-{stamp}.md").write_text(to_markdown(records), encoding="utf-8")
    return gr.File(value=[str(p) for p in sorted(folder.iterdir())], visible=True)


def conversation_of(records: list[Answer], resolutions: dict | None = None) -> tuple[list[dict], list, list[dict]]:
    """The chat messages, the Sources panel's sections and the history of a list of answers."""
    chat: list[dict] = []
    sections: list = []
    history: list[dict] = []
    for turn, record in enumerate(records, 1):
        chat += turn_messages(record, turn)
        sections.append((record.question, render_section(record, turn, resolutions)))
        history += [{"role": "user", "content": record.question}, {"role": "assistant", "content": record.text}]
    return chat, sections[-KEEP_TURNS:], history


def restore(saved: list[dict] | None):
    """The conversation kept in the browser (``gr.BrowserState``), shown again after a page reload."""
    from rag.app.transcript import answer_from_dict

    if not saved:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
    try:
        records = [answer_from_dict(a) for a in saved]
    except (KeyError, TypeError, ValueError, RagError):  # kept by an older version: start afresh
        log.info("the conversation kept in the browser could not be read; starting a new one")
        return [], EMPTY_PANEL, [], [], []
    chat, sections, history = conversation_of(records)
    return chat, render_panel(sections), history, sections, saved


def reopen(index: Path, file: Any):
    """Show a saved conversation again, flagging every source whose cited sentence changed since."""
    from rag.app.transcript import check_anchors, load_transcript

    path = file if isinstance(file, str) else getattr(file, "name", None)
    try:
        records = load_transcript(path)
        resolutions = check_anchors(records, index)
    except RagError as exc:
        raise gr.Error(str(exc), print_exception=False) from None
    chat, sections, history = conversation_of(records, resolutions)
    changed = sum(r.changed for r in resolutions.values())
    gr.Info(f"Re-opened {len(records)} answers; {changed} of {len(resolutions)} cited sentences changed since.")
    return chat, render_panel(sections), history, sections, [r.to_dict() for r in records]
