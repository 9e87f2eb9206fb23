"""The one text toolkit (rag/text): numbers as values, dates, tokenizers, stop words, folding, entity label sets.

Where earlier copies disagreed, the tests marked "pinned" fix the behaviour chosen (both dev sets' answers unchanged):

* the scale "t" is a trillion everywhere ("$1.2t"): number mentions of the conflict detector once lacked it;
* ``WORK_OF_ART`` is a name label for the verifier as it was for question analysis;
* one table of number words: free text reads all of it (the verifier's evidence: "zero" and "fifteen" count now),
  one figure standing alone as a word is read only up to twenty (the conflict detector, as before);
* three year ranges stay three (each decides something different): see :mod:`rag.text.dates`.
"""

from __future__ import annotations

import datetime as dt
import re

from rag.text import dates, labels, numbers, words
from tests.helpers import ROOT  # noqa: E402

# --- pinned choices ---------------------------------------------------------------------------------------------


def test_pinned_t_is_a_trillion_for_free_text_and_for_figures():
    assert numbers.SCALES["t"] == 1e12
    assert numbers.number_values("$1.2t, 1.2 trillion, 1.2tn", words=False) == [1.2e12] * 3
    assert numbers.entity_value("$1.2t", "MONEY") == (1.2e12, 0.0)
    from rag.text import mentions

    assert mentions.SCALES is numbers.SCALES  # the unit of a figure skips the same scale words


def test_pinned_work_of_art_is_a_name_for_the_verifier_and_for_list_answers():
    from rag.answering.questions import has_type
    from rag.text import nlp
    from rag.trust.verify import claim_names

    assert "WORK_OF_ART" in labels.NAME_LABELS
    claim = "It also introduces a 9-core CPU design and an upgraded Maleoon 935 GPU."
    assert ("Maleoon 935", "WORK_OF_ART") in {(e.text, e.label) for e in nlp.entities(claim)}
    assert "Maleoon 935" in claim_names(claim)  # the verifier's names: its spaCy name entities, WORK_OF_ART included
    sentence = ('As the "Silicon Curtain" descends, the world watches to see how nations and companies will adapt to '
                'this increasingly fragmented and politicized landscape.')
    assert {e.label for e in nlp.entities(sentence)} == {"WORK_OF_ART"}
    assert has_type(sentence, "list")  # a name and " and ": a list, as before


def test_pinned_number_words_one_table_two_readers():
    assert numbers.number_values("zero, fifteen, fifty, a dozen") == [0.0, 15.0, 50.0, 12.0]
    assert numbers.COUNT_WORDS == {w: v for w, v in numbers.NUMBER_WORDS.items() if v <= 20 and w != "dozen"}
    assert numbers.entity_value("twenty", "CARDINAL") == (20.0, 0.0)
    assert numbers.entity_value("fifty", "CARDINAL") is None  # a figure written as a larger word is not compared
    assert numbers.may_hold_number("zero share") and not numbers.may_hold_number("fifty inventions")


def test_pinned_three_year_ranges():
    assert dates.years("in 1899, 1900 and 2099, not 2100") == ["1900", "2099"]
    assert dates.month_count("1800") == 1800 * 12 and dates.month_count("2199") == 2199 * 12
    assert dates.month_count("1799") is None and dates.month_count("2200") is None
    assert dates.states_year("in 1066") and dates.states_year("by 2099") and not dates.states_year("in 2100")


# --- numbers ----------------------------------------------------------------------------------------------------


def test_numbers_with_scales_separators_and_percentages():
    assert numbers.number_mentions("60,000 and 60k; $1.6 billion; 35%") == [
        ("60,000", 60000.0), ("60k", 60000.0), ("1.6 billion", 1.6e9), ("35", 35.0)]
    assert numbers.number_values("5nm and 2.75GHz", words=False) == [5.0, 2.75]
    assert numbers.same_value(60 * 1e3, 60000.0) and not numbers.same_value(60000.0, 60001.0)
    assert numbers.PERCENT_SIGN in numbers.PERCENT_WORDS and "percent" in numbers.PERCENT_WORDS


def test_ranges_keep_their_middle_and_half_width():
    assert numbers.entity_value("40-50%", "PERCENT") == (45.0, 5.0)
    assert numbers.entity_value("40 to 50", "CARDINAL") == (45.0, 5.0)
    assert numbers.entity_value("1.5–2 billion", "MONEY") == (1.75e9, 0.25e9)
    assert numbers.entity_value("$8 billion", "MONEY") == (8e9, 0.0)
    assert numbers.entity_value("60,000", "CARDINAL") == (60000.0, 0.0)
    assert numbers.entity_value("several", "CARDINAL") is None


def test_currencies_by_name_and_code():
    for text in ("19 million euros", "EUR 19 million", "5,000 yen", "300 Pounds", "12 USD"):
        assert numbers.states_money(text), text
    for text in ("12 won awards", "19 million people", "EUR"):
        assert not numbers.states_money(text), text


# --- dates ------------------------------------------------------------------------------------------------------


def test_months_and_dates():
    assert dates.MONTHS[0] == "January" and len(dates.MONTHS) == 12
    assert dates.month_of("late dec") == 12 and dates.month_of("sept") == 9 and dates.month_of("no month") == 0
    assert dates.month_count("December 18, 2025") == 2025 * 12 + 12
    assert dates.month_count("2025") == 2025 * 12
    assert numbers.entity_value("December 2025", "DATE") == (2025 * 12 + 12.0, 0.0)
    assert dates.stated_date("As of December 18, 2025, the ...") == "2025-12-18"
    assert dates.stated_date("december 18, 2025") is None  # month names are capitalised in a stated date
    assert dates.iso_prefix("2025-12-18T09:00:00Z") == "2025-12-18" and dates.iso_prefix("18 Dec 2025") is None
    assert dates.iso_date(dt.date(2024, 2, 3)) == "2024-02-03"
    assert dates.iso_date(dt.datetime(2024, 2, 3, 4, 5)) == "2024-02-03"
    assert dates.iso_date(" 2025-12-18T10:00 ") == "2025-12-18"
    assert dates.iso_date("Published May 5, 1999") == "1999-05-05"
    assert dates.iso_date(20251218) is None


# --- words ------------------------------------------------------------------------------------------------------


def test_folding():
    assert words.fold("Beyoncé Zürich") == "Beyonce Zurich"
    assert words.fold("Łódź") == "Łodz"  # no plain form for "Ł": kept
    assert words.ascii_fold("Łódź") == "odz"
    from rag.ingest.corpus import safe_filename
    from rag.ingest.feed import slugify

    assert slugify("Crème Brûlée’s 5nm") == "creme-brulees-5nm"
    assert safe_filename("über–chip.md") == "uber_chip.md"


def test_tokenizers_each_keep_their_rules():
    text = "Huawei’s 5G-A chip: 1,131 units, 4.5% yield, N+3 (U.S.) a"
    assert words.plain_words(text) == ["huawei", "s", "5g", "a", "chip", "1", "131", "units", "4", "5", "yield", "n+3",
                                       "u", "s", "a"]
    assert words.plain_words("Kirin-9030 910C") == ["kirin-9030", "910c"]
    assert words.claim_tokens(text) == ["huawei", "5", "g", "a", "chip", "1,131", "units", "4.5", "yield", "n", "3",
                                        "u", "s", "a"]
    assert words.bm25_words(text) == ["huawei", "5g", "chip", "131", "units", "yield"]
    assert words.name_words("5nm-class U.S.") == {"5nm-class", "5nm", "class", "u.s", "u", "s"}
    assert words.question_tokens("What did SMIC's N+3 cost, $5bn or 4.5%?") == [
        "What", "did", "SMIC", "s", "N+3", "cost", "5bn", "or", "4.5%"]
    assert words.written_words("SMIC's N+3 in 2025") == ["SMIC's", "N+3", "in"]
    assert words.sentence_initial_words("Acme grew. Then it fell.\nBeta") == ["Acme", "Then", "Beta"]
    assert words.map_written_words("smic n+3", str.upper) == "SMIC N+3"
    assert words.letter_runs("$8.2Bn in 2024") == ["bn", "in"]
    assert words.hash_words("Don't stop") == ["don", "t", "stop"]
    assert words.rough_token_count("Don't stop.") == 5


def test_the_bm25_index_tokenizes_with_the_toolkit():
    from rag.index.sparse import BM25Index

    bm25 = BM25Index()
    assert bm25.params["splitter"] == words.BM25_SPLITTER
    assert set(bm25.tokenizer.stopwords) == set(words.bm25_stopwords()) and "the" in bm25.tokenizer.stopwords
    assert bm25.query_terms("The chips of a foundry") == ["chip", "foundri"]


def test_stop_word_lists_derive_from_one_core():
    assert words.FUNCTION_WORDS < words.CLAIM_STOP_WORDS and words.FUNCTION_WORDS < words.QUESTION_WORDS
    assert words.QUESTION_WORDS < words.GENERIC_WORDS
    assert {"per", "via", "them"} <= words.CLAIM_STOP_WORDS - words.QUESTION_WORDS
    assert {"much", "many", "according"} <= words.QUESTION_WORDS - words.CLAIM_STOP_WORDS
    assert "should" in words.AUXILIARIES and "according" in words.LEADING_WORDS


def test_label_sets_derive_from_one_another():
    assert labels.VALUE_LABELS == labels.NUMBER_LABELS | {"DATE"}
    assert labels.ANSWER_TYPE_LABELS["number"] == labels.NUMBER_LABELS
    assert labels.ANSWER_TYPE_LABELS["place"] <= labels.NAME_LABELS
    assert labels.ANSWER_TYPE_LABELS["person"] <= labels.NAME_LABELS


def test_each_is_defined_once_in_rag_text():
    """Month names, scale words, accent folding, spaCy label names and stop-word lists appear nowhere in rag/ or
    ui/ outside the toolkit (they are imported from it)."""
    marks = re.compile(r"NFKD|\bJanuary\b|\btrillion\b|\bWORK_OF_ART\b|\"PERSON\"|stopwords=\"|\bjan feb\b")
    found = [f"{path.relative_to(ROOT)}:{n}" for folder in ("rag", "ui") for path in (ROOT / folder).rglob("*.py")
             if path.parent.name != "text" or path.parent.parent.name != "rag"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if marks.search(line)]
    assert not found
