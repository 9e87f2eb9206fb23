"""Verifier: drops invented numbers and names, removes markers that point nowhere, repairs missing markers."""

from rag.embed import HashEmbedder
from rag.types import Chunk, RetrievedChunk
from rag.verify import DraftSentence, Verifier, missing_facts, parse_draft

DOC = "SMIC reached a 5nm-class node with DUV multi-patterning. Yields are about 35% today."


def _passages():
    chunk = Chunk("c1", "d1", "Title", "d1.md", 0, len(DOC), DOC, ((0, 56), (57, len(DOC))))
    return [RetrievedChunk(chunk, 1.0, rank=1)]


def _verifier():
    return Verifier(HashEmbedder().encode)


def test_parse_draft_moves_trailing_markers_into_the_sentence():
    draft = parse_draft("SMIC reached 5nm [1]. Yields are 35%. [1][7] Nothing cites here.")
    assert [(d.text, d.cites) for d in draft] == [("SMIC reached 5nm.", (1,)), ("Yields are 35%.", (1, 7)),
                                                   ("Nothing cites here.", ())]


def test_verbatim_sentence_is_supported():
    [v] = _verifier().check([DraftSentence("Yields are about 35% today.", (1,))], _passages(), {"d1": DOC})
    assert v.supported and v.score == 1.0 and DOC[v.quote[0]:v.quote[1]] == "Yields are about 35% today."


def test_invented_number_and_name_are_caught():
    assert missing_facts("Yields are about 55% at TSMC.", DOC) == ["55", "TSMC"]
    [v] = _verifier().check([DraftSentence("Yields are about 55% today.", (1,))], _passages(), {"d1": DOC})
    assert not v.supported and "55" in v.reason


def test_markers_pointing_nowhere_are_removed_and_sentence_rematched():
    [v] = _verifier().check([DraftSentence("SMIC reached a 5nm-class node with DUV multi-patterning.", (4,))],
                            _passages(), {"d1": DOC})
    assert v.supported and v.cites == () and v.passage == 0 and "point at no passage" in v.reason
