"""The web UI's trust features end to end in headless Chromium: support badges by each marker, disagreeing sources
with dates and citations, sort-by-date, export and re-open of a conversation with a source changed by a rebuild,
the removed-sentence toggle of an LLM answer (SmolLM2 through llama.cpp), and UI texts from configuration.

The browser fixtures are in tests/ui/conftest.py, the page helpers in tests/helpers.py. Screenshots go to
test-artifacts/.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.helpers import (
    BOTS,
    CORPUS,
    app_over_copies,
    copy_index,
    last_bot_text,
    norm,
    open_app,
    shot,
    smollm2_gguf,
    start_app,
)

# Tests that use trust_app, llm_app or a page are marked network/browser and slow by tests/conftest.py.
pytestmark = [
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

CAPACITY = "What is SMIC's advanced-node capacity?"
SMIC_DOC = "chinas-triple-output-ai-strategy-tripling-chip-production-by-2026"


@pytest.fixture(scope="module")
def trust_app(module_env, real_index, tmp_path_factory):
    running = app_over_copies(real_index, tmp_path_factory.mktemp("ui-trust"))
    yield running
    running.close()


def _ask_and_wait(page, question: str) -> None:
    before = page.locator(BOTS).count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        """(q) => Array.from(document.querySelectorAll('#sources .sources > .src-question'))
                     .some(e => e.innerText.trim() === 'Q: ' + q)""", arg=question, polling=500, timeout=600_000)
    assert page.locator(BOTS).count() > before


def test_badges_dates_and_conflict_in_the_browser(trust_app, page):
    from rag.app.api import answer

    expected = answer(CAPACITY, index_dir=trust_app.index)
    kept = [s for s in expected.support if s.supported]
    assert expected.conflicts and kept
    open_app(page, trust_app)
    _ask_and_wait(page, CAPACITY)
    bot = page.locator(BOTS).last
    assert last_bot_text(page) == norm(expected.text)  # badges and dates are drawn by CSS, not in the text
    badges = bot.locator(".support-badge")
    assert badges.count() == len(kept)
    scores = [badges.nth(i).get_attribute("title") for i in range(badges.count())]
    # extractive sentences are verbatim quotes: their badge says so instead of a score that is always 1.00
    assert scores == ["quote" if s.reason == "verbatim quote" else f"{s.score:.2f}" for s in kept]
    assert "quote" in scores
    shown = page.evaluate("(el) => getComputedStyle(el, '::after').content", badges.first.element_handle())
    assert scores[0] in shown
    newest, older = expected.conflicts[0].values
    dates = [d.get_attribute("title") for d in bot.locator(".cite-date").all()]
    # every marker of a cited sentence has its date (the short answer's link above them repeats one of those markers)
    markers = bot.locator("a.cite").count() - bot.locator(".short-answer a.cite").count()
    assert len(dates) == markers and "7 Nov 2025" in dates and "18 Dec 2025" in dates
    first_date = bot.locator(".cite-date").first.element_handle()
    shown = page.evaluate("(el) => getComputedStyle(el, '::after').content", first_date)
    assert dates[0] in shown
    box = page.locator("#sources .src-conflict")
    text = norm(box.inner_text())
    assert "Sources differ" in text and "60,000 wafers per month" in text and "nearly 50,000 wafers per month" in text
    assert text.index("18 Dec 2025") < text.index("7 Nov 2025") and "projection" in text
    shot(page, "20-conflict-and-badges")

    box.locator("a.cite", has_text=f"[{older.marker}]").click()  # the conflict's citation opens its source card
    card = page.locator("#sources .src-card.active")
    card.wait_for()
    assert "nearly 50,000" in card.locator("mark").inner_text()

    order = lambda: page.eval_on_selector_all(  # noqa: E731
        "#sources .sources > .src-cards > .src-card", "cs => cs.map(c => c.dataset.date)")
    page.locator("#sources .src-sort").first.click()
    dates = order()
    assert dates == sorted(dates, reverse=True) and len(dates) == len(expected.citations)
    page.locator("#sources .src-sort").first.click()
    markers = page.eval_on_selector_all("#sources .sources > .src-cards > .src-card",
                                        "cs => cs.map(c => c.dataset.marker)")
    assert markers == [str(c.marker) for c in expected.citations]


def test_export_and_reopen_flags_a_changed_source(trust_app, page):
    from rag.app.api import build_index

    open_app(page, trust_app)
    _ask_and_wait(page, CAPACITY)
    page.locator("#export").click()
    page.wait_for_function("() => document.querySelectorAll('#exported a[href]').length >= 2", timeout=60_000)
    hrefs = page.eval_on_selector_all("#exported a[href]", "as => as.map(a => a.href)")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    files = {h.rsplit(".", 1)[-1]: opener.open(h, timeout=30).read().decode("utf-8") for h in hrefs}
    saved = json.loads(files["json"])
    cites = saved["turns"][0]["citations"]
    assert all(c["anchor"] for c in cites) and all(f"anchor `{c['anchor']}`" in files["md"] for c in cites)
    edited = next(c for c in cites if "60,000" in c["quote"])

    article = trust_app.corpus / f"{SMIC_DOC}.md"
    original = article.read_text(encoding="utf-8")
    article.write_text(original.replace("has reached an estimated 60,000", "has reached an estimated 65,000"),
                       encoding="utf-8")
    try:
        build_index(trust_app.corpus, trust_app.index)
        saved_file = trust_app.corpus.parent / "saved-conversation.json"
        saved_file.write_text(files["json"], encoding="utf-8")
        open_app(page, trust_app)  # a fresh page: nothing in the chat
        with page.expect_file_chooser() as chooser:
            page.locator("#reopen").click()
        chooser.value.set_files(str(saved_file))
        page.wait_for_selector("#sources .src-card.changed", timeout=120_000)
        changed = page.locator(f'#sources .src-card.changed[data-anchor="{edited["anchor"]}"]')
        assert changed.count() == 1
        assert "Source changed since this answer" in changed.inner_text()
        assert "65,000 wafers per month" in changed.locator(".src-closest").inner_text()
        unchanged = page.locator("#sources .src-card:not(.changed)")
        assert unchanged.count() == len(cites) - 1
        assert all("unchanged" in unchanged.nth(i).inner_text() for i in range(unchanged.count()))
        assert norm(saved["turns"][0]["text"]) == last_bot_text(page)
        shot(page, "21-reopened-with-changed-source")
    finally:
        article.write_text(original, encoding="utf-8")
        build_index(trust_app.corpus, trust_app.index)


@pytest.fixture(scope="module")
def llm_app(module_env, real_index, tmp_path_factory):
    """An app whose default backend is SmolLM2 through llama.cpp (in-process, deterministic: temperature 0)."""
    base = tmp_path_factory.mktemp("ui-llm")
    index = copy_index(real_index, base / "index")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_LLM_MODEL_PATH", str(smollm2_gguf()))
        mp.setenv("RAG_BACKEND", "llama-cpp")
        running = start_app(CORPUS, index)
        yield running
        running.close()


@pytest.mark.llm
def test_removed_sentences_toggle_for_an_llm_answer(llm_app, page, monkeypatch):
    monkeypatch.setenv("RAG_LLM_MODEL_PATH", str(smollm2_gguf()))  # conftest clears RAG_* per test; answers read it
    open_app(page, llm_app)
    _ask_and_wait(page, "Why did China blacklist TechInsights?")  # SmolLM2 writes sentences the passages lack
    toggle = page.locator("#sources details.src-removed")
    assert toggle.count() == 1
    items = toggle.locator("li")
    assert not items.first.is_visible()
    toggle.locator("summary").click()
    assert items.first.is_visible() and items.count() >= 1
    for i in range(items.count()):  # each removed sentence with its verifier score and the reason
        assert 0 <= float(items.nth(i).locator(".support-score").inner_text()) <= 1
        assert items.nth(i).locator(".removed-reason").inner_text().strip("() ")
    shot(page, "22-removed-sentences")


def test_ui_texts_come_from_configuration(tmp_path, monkeypatch):
    from rag.core.config import load_settings
    from ui.texts import GENERIC_TITLE, ui_texts

    bundled = ui_texts(load_settings(), CORPUS)
    assert "Chip-war" in bundled.title and "What is SMIC's advanced-node capacity?" in bundled.examples
    other = tmp_path / "my-articles"
    other.mkdir()
    plain = ui_texts(load_settings(), other)
    assert plain.title == GENERIC_TITLE and plain.examples == () and "chip" not in plain.intro.lower()
    monkeypatch.setenv("RAG_UI_TITLE", "Ocean papers")
    monkeypatch.setenv("RAG_UI_EXAMPLES", "What warms the sea? | Why do reefs bleach?")
    mine = ui_texts(load_settings(), other)
    assert mine.title == "Ocean papers" and mine.examples == ("What warms the sea?", "Why do reefs bleach?")
