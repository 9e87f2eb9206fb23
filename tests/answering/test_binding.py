"""Attribute binding (rag.answering.binding): the value must be stated for what the question asks about."""

from rag.answering.binding import asked, unbound
from rag.answering.questions import answer_type


def check(question: str, sentence: str) -> str | None:
    return unbound(asked(question, answer_type(question)), sentence)


def test_how_many_needs_a_number_of_the_thing_counted():
    q = "How many GPUs did South Korea secure?"
    assert check(q, "South Korea secured 260,000 GPUs from Nvidia.") is None
    assert "no number of" in check(q, "The new plant in South Korea employs 3,000 people.")
    # a counter noun ("units") counts what the sentence names; a plural the tagger reads as a verb still counts
    assert check("How many Ascend chips will Huawei make?", "Huawei aims to double Ascend chip output to about 600,000 units.") is None
    assert check("How many Ascend dies could Huawei produce?", "Output may reach 1.6 million dies in 2026.") is None
    assert check(q, "South Korea secured a large number of GPUs.") is None  # no number: not judged here


def test_a_figure_for_another_year_does_not_answer():
    q = "What is China's chip self-sufficiency target for 2030?"
    assert "another year than 2030" in check(q, "China aims for 70% self-sufficiency by 2027.")
    assert check(q, "China aims for 70% self-sufficiency by 2030.") is None
    assert check(q, "China aims for 70% self-sufficiency.") is None  # no year stated: not judged
    assert check("When did China set a target for 2030?", "It set the target in 2021.") is None  # asks for a date


def test_a_share_needs_its_market():
    q = "What share of the global DRAM market does CXMT hold?"
    assert "no share of dram" in check(q, "CXMT holds about 5% of the NAND market.")
    assert check(q, "CXMT's DRAM market share reached 5%.") is None


def test_the_value_for_the_asked_year_is_the_one_written_nearest_it():
    from rag.answering.binding import fits_year

    sentence = "Output doubled to about 600,000 units in 2025, with plans for as many as 1.6 million dies in 2026."
    ask = asked("How many dies will Huawei produce in 2026?", "number")
    first, second = sentence.index("600,000"), sentence.index("1.6 million")
    assert not fits_year(ask, sentence, first, first + 7)
    assert fits_year(ask, sentence, second, second + 11)
    # the asked year alone, no year, or none asked: nothing to choose between; only other years: not the value
    assert fits_year(ask, "Output reached 1.6 million dies in 2026.", 15, 26)
    assert fits_year(ask, "Output reached 1.6 million dies.", 15, 26)
    assert not fits_year(ask, "Output reached 1.6 million dies in 2024.", 15, 26)
    assert fits_year(asked("How many dies will Huawei produce?", "number"), sentence, first, first + 7)
