"""The web UI (ui/app.py) end to end: the real app on a free 127.0.0.1 port, driven through gradio_client (/ask)
and a headless Chromium (Playwright): streaming chat, clickable citation markers, abstention, rebuild, upload and a
hostile document. Screenshots go to test-artifacts/ at the repo root.

Chromium is required (Debian: ``apt-get install -y chromium``); without it these tests fail, they never skip.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time

import pytest

from tests.helpers import (
    ARTIFACTS,
    BOTS,
    app_over_copies,
    copy_corpus,
    copy_index,
    last_bot_text,
    norm,
    open_app,
    shot,
    start_app,
)

# Tests that use a server fixture (app, own_app, hostile_app) or a page are marked network/browser and slow by
# tests/conftest.py; the pure ones (file names, uploads, escaping, launch settings) run in make test-fast.
pytestmark = [
    # gradio's queue (not this code) uses pandas options that pandas 3 deprecates
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

SMIC = "What node did SMIC reach without EUV lithography?"
HOSTILE = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">')
HOSTILE_DOC = (
    "Zorblax Quantum Foundry Report\n\n"
    "The Zorblax foundry in Chengdu produces 40,000 wafers per month using a 7nm process. "
    f"{HOSTILE} Zorblax was founded in 2019 by engineer Li Wei.\n\n"
    "Analysts say the Zorblax foundry [1] will double output by 2027.\n"
)
SEARCHING = "Searching the articles"


# ---------------------------------------------------------------------------------------------------------------
# the servers (the browser and page fixtures are in tests/ui/conftest.py)

@pytest.fixture(scope="module")
def app(module_env, real_index, tmp_path_factory):
    """The real app over a copy of the bundled corpus and of the session's MiniLM index (so rebuilds and uploads
    never touch the bundled files)."""
    running = app_over_copies(real_index, tmp_path_factory.mktemp("ui-app"))
    yield running
    running.close()


@pytest.fixture
def own_app(module_env, real_index, tmp_path):
    """An app of the test's own, over its own corpus and index copies, for tests that change them: the shared
    ``app`` stays as bundled, so no test depends on which tests ran before it."""
    running = app_over_copies(real_index, tmp_path)
    yield running
    running.close()


@pytest.fixture(scope="module")
def hostile_app(module_env, real_index, tmp_path_factory):
    """A second app whose corpus holds a document with live-looking markup and a fake marker."""
    from rag.app.api import build_index

    base = tmp_path_factory.mktemp("ui-hostile")
    corpus = copy_corpus(base / "corpus")
    (corpus / "zorblax-report.txt").write_text(HOSTILE_DOC, encoding="utf-8")
    index = copy_index(real_index, base / "index")
    report = build_index(corpus, index)  # incremental: only the new document is embedded
    assert report.added == 1, report.summary()
    running = start_app(corpus, index)
    yield running
    running.close()


def _ask(page, question: str) -> tuple[float, float]:
    """Type ``question`` and press Enter; wait for the first streamed words and for the complete answer (the
    Sources panel shows this question). Returns seconds from Enter to first token and to the complete answer."""
    before = page.locator(BOTS).count()
    box = page.locator("#question textarea")
    box.fill(question)
    pressed = time.perf_counter()
    box.press("Enter")
    page.wait_for_function(
        """([n, waiting]) => { const bots = document.querySelectorAll('#chatbot [data-testid="bot"]');
            if (bots.length <= n) return false; const t = bots[bots.length - 1].innerText.trim();
            return t.length > 0 && !t.includes(waiting); }""", arg=[before, SEARCHING], polling="raf")
    first = time.perf_counter() - pressed
    page.wait_for_function(
        """(q) => Array.from(document.querySelectorAll('#sources .sources > .src-question'))
                     .some(e => e.innerText.trim() === 'Q: ' + q)""", arg=question, polling="raf")
    return first, time.perf_counter() - pressed


# ---------------------------------------------------------------------------------------------------------------
# pure helpers: file-name sanitising, uploads, escaping

def test_safe_filename_blocks_traversal_and_odd_characters():
    from ui.app import safe_filename

    assert safe_filename("../../etc/passwd.md") == "passwd.md"
    assert safe_filename("..\\..\\windows\\evil.TXT") == "evil.txt"
    assert safe_filename(".hidden.md") == "hidden.md"
    assert safe_filename("My Report (final).pdf") == "My_Report_final.pdf"
    assert safe_filename("über–chip…notes.md") == "uber_chip.notes.md"
    assert safe_filename("a..b....md") == "a.b.md"
    assert safe_filename("....md") == "md"  # no extension left: store_upload rejects it
    assert safe_filename("") == "upload"
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", safe_filename(n))
               for n in ["/abs/x.md", "-rf.md", "\x00x.md", "con:x.txt", "   .md"])


def test_store_upload_checks_type_size_and_never_overwrites(tmp_path):
    from ui.app import store_upload

    corpus, incoming = tmp_path / "corpus", tmp_path / "in"
    corpus.mkdir()
    incoming.mkdir()
    (corpus / "report.md").write_text("old text", encoding="utf-8")

    def upload(name: str, data: bytes, max_bytes: int = 1000):
        src = incoming / name
        src.write_bytes(data)
        return store_upload(src, corpus, max_bytes)

    ok, msg = upload("tool.exe", b"MZ")
    assert not ok and "only .md" in msg
    ok, msg = upload("big.md", b"x" * 1001)
    assert not ok and "limit" in msg
    ok, msg = upload("empty.txt", b"")
    assert not ok and "empty" in msg
    ok, msg = upload("report.md", b"old text")
    assert ok and "identical" in msg
    ok, msg = upload("report.md", b"new text")
    assert ok and "report-1.md" in msg
    assert (corpus / "report.md").read_text() == "old text" and (corpus / "report-1.md").read_text() == "new text"
    ok, msg = upload("..evil name.HTML", b"<p>hi</p>")
    assert ok and (corpus / "evil_name.html").exists()
    # what the build would skip is refused before it lands in the corpus, with the build's reason
    ok, msg = upload("caf.txt", "Caf\u00e9 prices rose.".encode("latin-1"))
    assert not ok and "not valid UTF-8" in msg and not (corpus / "caf.txt").exists()
    ok, msg = upload("notes.markdown", b"# Notes\n\nAcme makes chips.")  # every suffix the loader indexes
    assert ok and (corpus / "notes.markdown").exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.parent not in (corpus, incoming) and p.is_file()) == []


def test_rendering_escapes_document_text():
    from rag.core.types import Answer, Chunk, Citation, RetrievedChunk
    from ui.app import render_answer, render_section

    text = f"Intro. {HOSTILE} Zorblax [1] was founded in 2019."
    start = text.index(HOSTILE)
    chunk = Chunk("c1", "d1", "<b>Title</b>", "x.txt", 0, len(text), text)
    cite = Citation(1, "d1", "<b>Title</b>", "x.txt", text[start:], start, len(text), "c1")
    result = Answer("q", f"{HOSTILE} Zorblax [1] was founded in 2019 [1].", [cite],
                    passages=[RetrievedChunk(chunk, 1.0)])
    for rendered in (render_section(result, 1), render_answer(result.text, result.citations, 1)):
        assert "<script" not in rendered and "<img" not in rendered and "<b>Title" not in rendered
        assert "&lt;script&gt;" in rendered
    assert "<mark>&lt;script&gt;" in render_section(result, 1)
    assert render_answer("A [1]. B [7].", [cite], 3).count('href="#src-3-1"') == 1  # unknown markers stay text


def test_the_backend_menu_offers_only_configured_backends(tmp_path):
    """Host, port and login are the server's (tests/http/test_server.py); the menu lists the configured backends.
    Gradio's telemetry is off before it is imported."""
    import ui.app
    import ui.handlers

    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False" and ui.app.THEME

    from rag.core.config import load_settings

    choices, hint = ui.handlers.backend_choices(load_settings())
    assert choices == ["extractive"] and "RAG_LLM_MODEL_PATH" in hint and "RAG_OPENAI_MODEL" in hint
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    choices, _ = ui.handlers.backend_choices(load_settings(llm_model_path=str(model), openai_base_url="http://127.0.0.1:1/v1",
                                                       openai_model="m"))
    assert choices == ["extractive", "llama-cpp", "openai"]


# ---------------------------------------------------------------------------------------------------------------
# the /ask API through gradio_client

def test_api_ask_answers_with_citations(app):
    from gradio_client import Client

    client = Client(app.url, verbose=False)
    result = client.predict(SMIC, api_name="/ask")
    assert isinstance(result, dict)
    assert result["abstained"] is False and "5nm" in result["text"]
    assert result["citations"] and {"marker", "doc_id", "title", "source", "quote", "start", "end", "chunk_id",
                                     "date"} <= set(result["citations"][0])
    assert result["passages"] and result["support"] and "total" in result["timings"]

    out_of_corpus = client.predict("What is the salary of Huawei's CEO?", k=6, backend="extractive", api_name="/ask")
    assert out_of_corpus["abstained"] is True and out_of_corpus["status"] in ("partial", "not_found")


def test_api_ask_reports_errors_as_messages(app):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app.url, verbose=False)
    with pytest.raises(AppError, match="question is empty"):
        client.predict("   ", api_name="/ask")
    with pytest.raises(AppError, match="k must be between 1 and 50"):
        client.predict(SMIC, k=99, api_name="/ask")


# ---------------------------------------------------------------------------------------------------------------
# the browser

def test_chat_streams_answer_and_marker_opens_source(app, page):
    from rag.app.api import answer

    expected = answer(SMIC, index_dir=app.index)  # what the UI must show: same index, same defaults
    first = expected.citations[0]
    open_app(page, app)
    shot(page, "01-start")
    t_first, t_done = _ask(page, SMIC)
    print(f"\nUI timing: Enter -> first streamed token {t_first:.2f}s, Enter -> complete answer {t_done:.2f}s")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "ui-timings.txt").write_text(f"enter_to_first_token_s={t_first:.3f}\n"
                                              f"enter_to_complete_answer_s={t_done:.3f}\n")
    assert last_bot_text(page) == norm(expected.text)
    shot(page, "02-answer")

    marker = page.locator(BOTS).last.locator("a.cite", has_text=re.compile(r"^\[1\]$")).first
    marker.click()
    card = page.locator("#sources .src-card.active")
    card.wait_for()
    assert re.fullmatch(r"src-\d+-1", card.get_attribute("id"))
    title = card.locator(".src-title").inner_text()
    assert title == first.title and ("Kirin 9030" in title or "Triple Output" in title)
    assert norm(card.locator("mark").inner_text()) == norm(first.quote)
    assert first.source in card.inner_text()
    from playwright.sync_api import expect

    expect(card).to_be_in_viewport()
    shot(page, "03-marker-clicked")


def test_follow_up_uses_previous_turns(app, page):
    from rag.app.api import answer

    q1, q2 = "Which node does the Kirin 9030 use?", "And how fast is its top core clocked?"
    a1 = answer(q1, index_dir=app.index)
    a2 = answer(q2, history=[{"role": "user", "content": q1}, {"role": "assistant", "content": a1.text}],
                index_dir=app.index)
    open_app(page, app)
    _ask(page, q1)
    _ask(page, q2)
    assert last_bot_text(page) == norm(a2.text)
    assert page.locator("#sources details").count() == 1  # the first answer's sources, collapsed
    shot(page, "04-follow-up")


def test_example_question_runs(app, page):
    open_app(page, app)
    page.get_by_text("Why did China blacklist TechInsights?").first.click()
    page.wait_for_selector("#sources .src-card")
    assert "TechInsights" in page.locator("#sources").inner_text()


def _outcome_label(page) -> str:
    """The outcome label in front of the latest answer (drawn by CSS from its title)."""
    label = page.locator(BOTS).last.locator(".outcome").first
    return page.evaluate("(el) => getComputedStyle(el, '::before').content", label.element_handle()).strip('"')


def test_abstention_is_explained(app, page):
    open_app(page, app)
    _ask(page, "What does the Mate 80 cost?")
    panel = page.locator("#sources .src-outcome").first
    if "do not say" in last_bot_text(page):  # not found: the real reason and the closest passages
        assert panel.get_attribute("data-status") == "not_found" and "Not found:" in panel.inner_text()
        assert _outcome_label(page) == "Not found"
        assert "Closest passages considered" in page.locator("#sources").inner_text()
        assert page.locator("#sources .src-card.near").count() >= 1
    else:  # partial: flagged as such, with the closest cited sentences
        assert "do not clearly answer" in last_bot_text(page) and "Partial answer:" in panel.inner_text()
        assert panel.get_attribute("data-status") == "partial" and _outcome_label(page) == "Partial answer"
    shot(page, "05-abstention")


def test_copy_gives_the_answer_text_and_dark_mode_keeps_quotes_readable(app, browser):
    from rag.app.api import answer

    expected = answer(SMIC, index_dir=app.index)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="dark",
                                  permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        open_app(page, app)
        _ask(page, SMIC)
        assert _outcome_label(page) == "Answered"
        page.locator(BOTS).last.hover()
        page.locator('#chatbot button[aria-label="Copy message"]').last.click()
        # the chat's copy button once copied HTML and Markdown escapes (<a class="cite" …>, "5nm\-class")
        page.wait_for_function("(t) => navigator.clipboard.readText().then(c => c === t)", arg=expected.text.strip(),
                               timeout=10_000)
        page.locator(BOTS).last.locator("a.cite").first.click()
        mark = page.locator("#sources .src-card.active mark")
        mark.wait_for()
        # the cited sentence: dark text on the yellow highlight in dark mode too (it was near-white, 1.1:1)
        assert page.evaluate("(el) => getComputedStyle(el).color", mark.element_handle()) == "rgb(31, 41, 55)"
        shot(page, "07-dark-mode")
    finally:
        context.close()


def test_a_question_sent_while_answering_runs_next_and_old_markers_say_so(app, page, monkeypatch):
    import ui.handlers

    monkeypatch.setattr(ui.handlers, "KEEP_TURNS", 1)  # the panel keeps one answer's sources
    open_app(page, app)
    box = page.locator("#question textarea")
    first, second = "Why did China blacklist TechInsights?", "When was that announced?"
    box.fill(first)
    box.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#chatbot [data-testid=\"user\"]').length === 1")
    box.fill(second)  # while the first answer is still being revealed
    box.press("Enter")
    page.wait_for_function(
        """(q) => Array.from(document.querySelectorAll('#sources .sources > .src-question'))
                     .some(e => e.innerText.trim() === 'Q: ' + q)""", arg=second, timeout=120_000)
    users = [norm(u.inner_text()) for u in page.locator('#chatbot [data-testid="user"]').all()]
    assert users == [first, second]  # it was once dropped silently
    assert "Read with the conversation as" in page.locator("#sources").inner_text()  # the follow-up, resolved
    old = page.locator(BOTS).first.locator("a.cite").first
    old.click()  # its card is no longer in the panel: the marker says so instead of doing nothing
    page.wait_for_function("(a) => a.classList.contains('gone')", arg=old.element_handle())
    assert "no longer shown" in old.get_attribute("title")


def test_new_conversation_clears_the_export(app, page):
    open_app(page, app)
    _ask(page, SMIC)
    page.locator("#export").click()
    page.wait_for_function("() => document.querySelectorAll('#exported a[href]').length >= 2", timeout=60_000)
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_function("() => !document.querySelector('#exported') || "
                           "getComputedStyle(document.querySelector('#exported')).display === 'none' || "
                           "document.querySelectorAll('#exported a[href]').length === 0")
    page.locator("#export").click()  # nothing to export: a notice, and no error box left behind
    page.get_by_text("Nothing to export yet").first.wait_for()
    assert page.locator("#exported a[href]").count() == 0
    assert page.locator("#exported:visible", has_text="Error").count() == 0


def test_corpus_tab_lists_documents_and_rebuilds(app, page):
    open_app(page, app)
    page.get_by_role("tab", name="Corpus & index").click()
    page.wait_for_function("() => document.querySelector('#index-line').innerText.includes('up to date')")
    table = page.locator("#documents")
    for title in ("China Blacklists Canadian Consultancy TechInsights", "Kirin 9030"):
        assert title in table.inner_text()
    page.get_by_role("button", name="Rebuild index").click()
    page.wait_for_function("() => document.querySelector('#build-status textarea').value.includes('unchanged')")
    status = page.locator("#build-status textarea").input_value()
    assert "Index updated: 0 added, 0 changed, 0 removed, 10 unchanged" in status
    shot(page, "06-rebuild")


def test_chat_answers_while_rebuilding(own_app, page, monkeypatch):
    """A rebuild in progress (held mid-embedding here) does not hold up chat answers."""
    import threading

    from rag.app import api

    embedding, release = threading.Event(), threading.Event()
    real_build = api.build_index

    def held_build(corpus_dir, index_dir, progress=None, **kw):
        def held_progress(done, total):
            if progress:
                progress(done, total)
            embedding.set()
            release.wait(120)
        return real_build(corpus_dir, index_dir, progress=held_progress, **kw)

    monkeypatch.setattr(api, "build_index", held_build)  # ui.jobs calls rag.app.api.build_index
    filler = own_app.corpus / "zz-filler.md"
    filler.write_text("# Filler article on fab planning\n\n" + " ".join(
        f"Planning note {i} covers wafer starts in a fictional fab." for i in range(60)), encoding="utf-8")
    try:
        open_app(page, own_app)
        page.get_by_role("tab", name="Corpus & index").click()
        page.get_by_role("button", name="Rebuild index").click()
        assert embedding.wait(60), "the rebuild never started embedding"
        page.get_by_role("tab", name="Chat").click()
        _ask(page, SMIC)
        assert "5nm" in last_bot_text(page)
        page.get_by_role("tab", name="Corpus & index").click()
        assert "Rebuilding: embedding" in page.locator("#build-status textarea").input_value()
        shot(page, "06b-chat-during-rebuild")
    finally:
        release.set()
    page.wait_for_function("() => document.querySelector('#build-status textarea').value.includes('Index updated')")
    assert "1 added" in page.locator("#build-status textarea").input_value()


def test_upload_adds_file_and_updates_index(own_app, page):
    from gradio_client import Client

    open_app(page, own_app)
    page.get_by_role("tab", name="Corpus & index").click()
    page.locator("#upload input[type=file]").set_input_files([{
        "name": "Quokka Fab Notes.md", "mimeType": "text/markdown",
        "buffer": b"# Quokka Semiconductor opens a fab\n\nQuokka Semiconductor opened its first fab in Hobart in "
                  b"2024, producing 12,000 wafers per month.\n",
    }])
    page.wait_for_function("() => document.querySelector('#build-status textarea').value.includes('Index updated')")
    status = page.locator("#build-status textarea").input_value()
    assert "Quokka Fab Notes.md: added as Quokka_Fab_Notes.md" in status and "1 added" in status
    assert (own_app.corpus / "Quokka_Fab_Notes.md").is_file()
    assert "Quokka Semiconductor opens a fab" in page.locator("#documents").inner_text()
    shot(page, "07-upload")
    result = Client(own_app.url, verbose=False).predict("Where did Quokka Semiconductor open its first fab?",
                                                     api_name="/ask")
    assert result["abstained"] is False and "Hobart" in result["text"]


def test_hostile_document_is_shown_as_text(hostile_app, page):
    page.on("dialog", lambda d: d.dismiss())
    open_app(page, hostile_app)
    _ask(page, "Who founded Zorblax?")
    assert page.evaluate("window.__pwned") is None
    panel = page.locator("#sources")
    assert "<script>" in panel.inner_text()
    assert page.locator("#sources script, #sources img, #chatbot img[src='x']").count() == 0
    page.locator(BOTS).last.locator("a.cite").first.click()
    page.locator("#sources .src-card.active mark").wait_for()
    assert HOSTILE in page.locator("#sources .src-card.active mark").inner_text()
    assert page.evaluate("window.__pwned") is None
    shot(page, "08-hostile-document")


# ---------------------------------------------------------------------------------------------------------------
# the conversation kept in the browser, and a server that goes away

def test_the_conversation_survives_a_page_reload(app, page):
    open_app(page, app)
    _ask(page, SMIC)
    answer = last_bot_text(page)
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function("""(q) => Array.from(document.querySelectorAll('#sources .sources > .src-question'))
                                   .some(e => e.innerText.trim() === 'Q: ' + q)""", arg=SMIC)
    assert last_bot_text(page) == answer
    assert norm(page.locator('#chatbot [data-testid="user"]').last.inner_text()) == SMIC
    shot(page, "13-after-reload")
    page.get_by_role("button", name="New conversation").click()  # a new conversation is not brought back
    page.wait_for_function("() => document.querySelectorAll('#chatbot [data-testid=\"bot\"]').length === 0")
    page.wait_for_timeout(500)
    page.reload()
    page.wait_for_selector("#sources .sources")
    page.wait_for_timeout(1500)
    assert page.locator(BOTS).count() == 0


def test_a_server_that_goes_away_mid_answer_is_said_in_the_chat(real_index, tmp_path, page, monkeypatch):
    """The answer waits on an LLM server that never replies; then `rag serve` stops. The bubble must not stay
    "Searching the articles…": the page notices the server is gone and says so."""
    silent = socket.create_server(("127.0.0.1", 0))
    held = []

    def hold() -> None:
        while True:
            try:
                held.append(silent.accept())
            except OSError:
                return

    threading.Thread(target=hold, daemon=True).start()
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
    monkeypatch.setenv("RAG_OPENAI_MODEL", "silent")
    monkeypatch.setenv("RAG_BACKEND", "openai")
    running = app_over_copies(real_index, tmp_path)
    try:
        open_app(page, running)
        box = page.locator("#question textarea")
        box.fill(SMIC)
        box.press("Enter")
        page.wait_for_function("(w) => { const b = document.querySelectorAll('#chatbot [data-testid=\"bot\"]');"
                               " return b.length && b[b.length - 1].innerText.includes(w); }", arg=SEARCHING)
    finally:
        running.close()
        silent.close()
    page.wait_for_selector("#server-lost-banner", timeout=60_000)
    assert "server stopped answering" in page.locator("#server-lost-banner").inner_text()
    assert page.locator("#server-lost-banner").is_visible()
    assert SEARCHING not in page.locator("#chatbot").inner_text()
    shot(page, "14-server-gone")


def test_the_short_answer_leads_the_answer_and_is_bold_in_its_source(app, page):
    from rag.app.api import answer

    question = "How many wafers per month can SMIC produce?"
    expected = answer(question, index_dir=app.index).short_answer
    assert expected is not None
    open_app(page, app)
    _ask(page, question)
    bubble = page.locator(BOTS).last
    assert norm(bubble.locator(".short-answer").inner_text()).startswith(expected.text)
    card = page.locator(f"#sources .src-card[data-marker='{expected.marker}']").first
    assert norm(card.locator("mark b.short-answer").inner_text()) == expected.text
    shot(page, "15-short-answer")
