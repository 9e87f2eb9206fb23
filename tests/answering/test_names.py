"""Name matching (rag.answering.names): exact words, demonyms, initialisms, one-letter slips in long words."""

from rag.answering.names import contains

DOC = ("The United Nations met in Warsaw. Critics in the New York Times said so. The Government of Poland replied. "
       "Japanese firms and SMIC agreed. Hervé spoke for the Ascend 910C team.")


def test_exact_words_and_demonyms():
    assert contains(DOC, "Warsaw") and contains(DOC, "Ascend 910C") and contains(DOC, "Japan")
    assert contains(DOC, "Herve")  # accents folded
    assert not contains(DOC, "Ascend 910B") and not contains(DOC, "Kraków")


def test_initialisms_both_ways():
    assert contains(DOC, "UN") and contains(DOC, "NY") and contains(DOC, "NYT")
    assert contains(DOC, "Semiconductor Manufacturing International Corporation")  # the text says "SMIC"
    assert contains("Talks with U.S. officials.", "US") and contains("The U.N. Secretary General spoke.", "UN")
    assert not contains(DOC, "EU") and not contains(DOC, "WHO")


def test_one_slip_only_in_long_words():
    assert contains(DOC, "Goverment")  # one letter missing from a 10-letter word
    assert not contains(DOC, "Warsow")  # 6 letters: too short to tell a slip from another name
    assert not contains(DOC, "Ascend 910D") and not contains(DOC, "Governance")
