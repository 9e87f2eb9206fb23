"""Language analysis with the real spaCy pipeline (rag.text.nlp): entities, numbers as values, no torch import.
Question analysis on top of it (answer types, names, demonyms) is tested in tests/answering/test_questions.py."""

from rag.text import nlp
from rag.text.numbers import number_values
from tests.helpers import assert_light


def test_loading_spacy_does_not_import_torch():
    code = ("from rag.text import nlp, mentions\n"
            "nlp.entities('Acme opened a plant in Ohio.')\n"
            "mentions.mentions_many(['Acme made 5 chips in 2024.'])\n"
            "print(nlp.LOAD_SECONDS, nlp.not_ner())")
    printed = assert_light(code, avoid=("torch",))
    # one pipeline serves entities (ner alone) and mentions (tagger, parser, lemmatizer)
    assert "['tok2vec', 'tagger', 'parser', 'attribute_ruler', 'lemmatizer']" in printed


def test_entity_lookups_skip_the_parser_but_find_the_same_entities():
    text = "Huawei shipped 60,000 Ascend chips to Shenzhen in March 2025, SMIC said."
    full = [(e.text, e.label_) for e in nlp.pipeline()(text).ents]
    assert [(e.text, e.label) for e in nlp.entities(text)] == full and full


def test_numbers_as_values():
    values = number_values("60,000 and 60000 and 60k; $1.6 billion; 35%; three")
    assert values == [60000.0, 60000.0, 60000.0, 1.6e9, 35.0, 3.0]
