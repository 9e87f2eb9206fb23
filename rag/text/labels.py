"""Entity label sets: which of spaCy's OntoNotes labels (:mod:`rag.text.nlp`) count as what.

Defined once here for question analysis (:mod:`rag.answering.questions`), the verifier (:mod:`rag.trust.verify`) and
number mentions (:mod:`rag.text.mentions`).
"""

from __future__ import annotations

NUMBER_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT"})
"""Labels of an amount: what a "how many / how much" question is answered by."""

VALUE_LABELS = NUMBER_LABELS | {"DATE"}
"""Labels of a figure with a value that can be compared with another (:mod:`rag.text.mentions`)."""

DATE_LABELS = frozenset({"DATE", "TIME"})
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
PEOPLE_LABELS = frozenset({"PERSON", "ORG", "NORP"})
"""Labels of an answer to "who": people and organisations alike."""

PERSON_LABEL = "PERSON"
COUNTRY_LABELS = frozenset({"GPE", "NORP", "LOC"})
NATIONALITY_LABEL = "NORP"
"""A person; names that may stand for a country (a place, or an adjective of nationality); the adjective itself
(:class:`rag.answering.names.Aliases`)."""

NAME_LABELS = PEOPLE_LABELS | PLACE_LABELS | {"PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
"""Labels of a name. A claim's names must occur in its evidence (the verifier), and a list question is answered by
a sentence that names something (question analysis). ``WORK_OF_ART`` is a name for both: the verifier's own copy
once lacked it (``tests/text/test_text_toolkit.py`` pins the choice)."""

ANSWER_TYPE_LABELS = {
    "number": NUMBER_LABELS,
    "money": frozenset({"MONEY"}),
    "percent": frozenset({"PERCENT"}),
    "date": DATE_LABELS,
    "person": PEOPLE_LABELS,
    "organization": frozenset({"ORG"}),
    "place": PLACE_LABELS,
}
"""The labels that count as an answer of each typed answer type (:data:`rag.answering.questions.ANSWER_TYPES`)."""
