"""Garbage is not text (rag.ingest.quality): replacement characters, private-use glyphs, control characters and
strings that are not words are refused with the reason, in any language; a text with no sentences is refused; the
bundled articles and ordinary text in many scripts pass."""

from __future__ import annotations

import base64
import random

import pytest

from rag.ingest.load import load_corpus
from rag.ingest.quality import RUN_ON_CHARS, garbage_reason, prose_reason
from tests.helpers import CORPUS, broken_font_pdf

# one ordinary sentence in each of several scripts, repeated past the size below which texts are not judged
SENTENCES = {
    "English": "The company shipped 12,000 wafers per month in 2024, up 5.2% (N+3 node, COVID-19 aside).",
    "German": "Die Ausfuhrkontrollen für Halbleiter wurden im März verschärft, sagte das Ministerium.",
    "French": "L'entreprise a annoncé qu'elle produirait des puces de 5 nm dès l'année prochaine.",
    "Russian": "Компания объявила о начале производства новых процессоров в следующем году.",
    "Greek": "Η εταιρεία ανακοίνωσε την παραγωγή νέων επεξεργαστών τον επόμενο χρόνο.",
    "Arabic": "أعلنت الشركة عن بدء إنتاج معالجات جديدة في العام المقبل.",
    "Hindi": "कंपनी ने अगले साल नए प्रोसेसर का उत्पादन शुरू करने की घोषणा की।",
    "Chinese": "该公司宣布明年开始生产新的处理器，产量将达到每月一万二千片晶圆。",
    "Japanese": "同社は来年から新しいプロセッサーの生産を開始すると発表した。",
    "Korean": "회사는 내년부터 새로운 프로세서 생산을 시작한다고 발표했다.",
    "Thai": "บริษัทประกาศว่าจะเริ่มผลิตโปรเซสเซอร์รุ่นใหม่ในปีหน้า",
    "Hebrew": "החברה הודיעה כי תתחיל לייצר מעבדים חדשים בשנה הבאה.",
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_ordinary_text_in_any_script_passes(language):
    text = " ".join([SENTENCES[language]] * 20)
    assert garbage_reason(text) is None and prose_reason(text) is None


def test_the_bundled_articles_pass():
    for doc in load_corpus(CORPUS).documents:
        assert garbage_reason(doc.text) is None and prose_reason(doc.text) is None, doc.source


@pytest.mark.parametrize("kind", ["fffd", "private", "identity"])
def test_a_pdf_with_a_broken_font_is_not_text(tmp_path, kind):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / f"{kind}.pdf").write_bytes(broken_font_pdf(kind))
    (corpus / "good.txt").write_text("Good Doc\n\n" + SENTENCES["English"])
    result = load_corpus(corpus)
    assert [d.source for d in result.documents] == ["good.txt"]
    assert result.skipped[f"{kind}.pdf"].startswith("not text: ")
    assert "replacement characters, private-use glyphs, control characters" in result.skipped[f"{kind}.pdf"]


def test_strings_that_are_not_words_are_not_text():
    rng = random.Random(7)
    blob = base64.encodebytes(rng.randbytes(6000)).decode()
    symbols = " ".join("".join(rng.choice("!#$%&*+/<=>@^|~") for _ in range(rng.randint(4, 12))) for _ in range(300))
    for text in (blob, symbols, "&" * 5000):
        reason = garbage_reason(text)
        assert reason and "strings that are not words" in reason, text[:80]
    assert garbage_reason("x7#Qp") is None  # too little to judge


def test_a_text_of_run_ons_has_no_sentences_but_long_prose_passes():
    words = " ".join(f"word{i % 97}" for i in range(RUN_ON_CHARS // 3))
    reason = prose_reason(words)
    assert reason and reason.startswith("no sentences: 100% of its") and f"{RUN_ON_CHARS:,} characters" in reason
    prose = " ".join([SENTENCES["English"]] * 2000)
    assert len(prose) > 5 * RUN_ON_CHARS and prose_reason(prose) is None
    half = words + "\n\n" + prose  # a long run-on beside more prose than it: the prose is worth indexing
    assert prose_reason(half) is None
