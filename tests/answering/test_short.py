"""The direct short answer (rag.answering.short): the shipped reader's span, the typed entity as the fallback."""

from rag.answering.questions import analyse
from rag.answering.short import read_span, short_answer, typed_entity
from rag.core.types import Citation
from rag.encoders.reader import reader

DOC = ("Intro line.\nThe company was founded by Gordon Moore and Robert Noyce in 1968. "
       "Its first product was a memory chip. ASML is led by Christophe Fouquet, its chief executive since 2024.")


def cite(sentence: str, marker: int = 1) -> Citation:
    start = DOC.index(sentence)
    return Citation(marker, "doc", "Doc", "doc.md", sentence, start, start + len(sentence), "doc#0")


FOUNDED = cite("The company was founded by Gordon Moore and Robert Noyce in 1968.")
PRODUCT = cite("Its first product was a memory chip.", 2)
ASML = cite("ASML is led by Christophe Fouquet, its chief executive since 2024.")


def test_the_reader_marks_the_answer_and_its_span_is_the_document_s():
    assert reader() is not None, "the reader model ships in rag/models/reader"
    for question, expected, citation in (("When was the company founded?", "1968", FOUNDED),
                                         ("Who founded the company?", "Gordon Moore", FOUNDED),
                                         ("What was the company's first product?", "memory chip", PRODUCT)):
        short = read_span(analyse(question), [citation])
        assert short is not None and expected in short.text, (question, short)
        assert DOC[short.start : short.end] == short.text and short.marker == citation.marker


def test_the_reader_never_answers_with_the_question_s_own_name():
    short = short_answer(analyse("Who leads ASML?"), [ASML])
    assert short is not None and "Fouquet" in short.text and "ASML" not in short.text


def test_no_answer_when_the_reader_declines_and_no_typed_value_is_there():
    # the sentence says nothing about a price: the reader prefers "no answer" and there is no amount of money in it
    info = analyse("How much did the company's first product cost?")
    assert typed_entity(info, [PRODUCT]) is None
    assert short_answer(info, [PRODUCT], margin=100.0) is None


def test_the_typed_entity_is_the_fallback():
    info = analyse("In which year was the company founded?")
    short = short_answer(info, [FOUNDED], margin=100.0)  # a margin no span clears: the typed entity answers
    assert short is not None and short.text == "1968"


def test_a_year_picks_the_value_written_for_it():
    doc = "Halifax Transit carried 24 million trips in 2023, up from 19 million trips in 2022."
    cite = Citation(1, "t", "T", "t.md", doc, 0, len(doc), "t#0")
    assert short_answer(analyse("How many trips did Halifax Transit carry in 2022?"), [cite]).text == "19 million"
    assert short_answer(analyse("How many trips did Halifax Transit carry in 2023?"), [cite]).text == "24 million"
