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


# Aliases: names that stand for a question's name, judged by the shipped embedding model (no lists of names)
NEWS = ("The US Commerce Department added 140 Chinese companies to the Entity List, and China protested. "
        "The European Union and the Netherlands tightened their rules too; Taiwan objected.")


def _aliases():
    import numpy as np

    from rag.answering.names import Aliases
    from rag.encoders.registry import get_embedder

    model = get_embedder()

    def embed(texts):
        v = np.asarray(model.encode(list(texts)), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    return Aliases(embed)


def test_a_capital_stands_for_its_government():
    aliases = _aliases()
    assert aliases.of("Washington", "GPE", NEWS) == ("US",)
    assert aliases.of("Beijing", "GPE", NEWS) == ("China",)
    assert aliases.of("Brussels", "GPE", NEWS) == ("The European Union",)
    assert aliases.of("Taipei", "GPE", NEWS) == ("Taiwan",)
    # a capital whose country the text does not name stands for nothing, nor does a country for another country
    assert aliases.of("Moscow", "GPE", NEWS) == () and aliases.of("Tokyo", "GPE", NEWS) == ()
    assert aliases.of("Japan", "GPE", NEWS) == () and aliases.of("Taiwan", "GPE", "China protested.") == ()


def test_nationality_and_surname_aliases():
    aliases = _aliases()
    assert aliases.of("Dutch", "NORP", NEWS) == ("Netherlands",)
    assert aliases.of("Jensen Huang", "PERSON", "Nvidia's chief, Huang, said demand was strong.") == ("Huang",)
    assert aliases.of("Jensen Huang", "PERSON", NEWS) == ()
    assert aliases.of("Nvidia", "ORG", "AMD and Intel said so.") == ()  # companies are never each other's alias
