"""A verifier test battery built from the bundled articles: corpus sentences and their perturbations.

Perturbations that must be rejected: a number changed, a name swapped for another name of the same kind from the
same article, a negation inserted, an unsupported clause appended. Faithful variants that must be accepted: the
sentence itself, its first clause, and a light rewrite (a leading connective dropped, a few words swapped for
synonyms). Articles are split by position: ``part="dev"`` (odd positions) was used while designing the verifier,
``part="test"`` (even positions) is what tests assert on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.helpers import CORPUS

_AUX = re.compile(r"\b(is|are|was|were|has|have|had|will|can|could|would|remains|remain)\b")
_SYNONYMS = {"approximately": "about", "significant": "major", "significantly": "greatly", "however": "",
             "reportedly": "", "notably": "", "currently": "now", "aims": "intends", "aiming": "intending",
             "roughly": "about", "substantial": "large", "rapid": "fast", "crucial": "vital", "major": "big"}
_CLAUSE_TAILS = [", and the plan was later cancelled by regulators in Brussels",
                 ", which doubled the profits of every airline in Europe",
                 ", according to a leaked memo from the Brazilian navy"]


@dataclass(frozen=True)
class Case:
    claim: str
    evidence: str
    kind: str
    faithful: bool


def _sentences(part: str) -> list[tuple[str, str]]:
    """(doc_id, sentence) of the articles in ``part``; sentences of 12-60 words that hold a digit and a name."""
    from rag.text.sentences import split_sentences

    out = []
    for n, path in enumerate(sorted(CORPUS.glob("*.md"))):
        if (n % 2 == 0) != (part == "test"):
            continue
        text = path.read_text(encoding="utf-8").split("\n---", 1)[1]
        for s, e in split_sentences(text):
            sent = text[s:e].strip()
            words = sent.split()
            if 12 <= len(words) <= 60 and re.search(r"\d", sent) and re.search(r"\s[A-Z][a-z]", sent) and sent.endswith("."):
                out.append((path.stem, sent))
    return out


def build(part: str = "test", limit: int = 60) -> list[Case]:
    from rag.text import nlp

    sentences = _sentences(part)[:limit]
    cases: list[Case] = []
    by_doc: dict[str, list[str]] = {}
    for doc, sent in sentences:
        by_doc.setdefault(doc, []).append(sent)
    for i, (doc, sent) in enumerate(sentences):
        cases.append(Case(sent, sent, "itself", True))
        first = re.split(r",\s|;\s|\s–\s", sent)[0]
        if len(first.split()) >= 6 and first != sent:
            cases.append(Case(first.rstrip(".") + ".", sent, "clause", True))
        rewrite = sent
        for word, syn in _SYNONYMS.items():
            rewrite = re.sub(rf"\b{word}\b,?\s?", f"{syn} " if syn else "", rewrite, flags=re.I)
        rewrite = re.sub(r"\s+", " ", rewrite).strip()
        rewrite = rewrite[0].upper() + rewrite[1:]
        if rewrite != sent:
            cases.append(Case(rewrite, sent, "rewrite", True))
        # --- perturbations
        m = re.search(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)", sent)
        if m:
            value = m.group(1)
            changed = str(int(value.replace(",", "").split(".")[0]) + 7) if "." not in value else value + "7"
            cases.append(Case(sent[: m.start(1)] + changed + sent[m.end(1):], sent, "number", False))
        ents = [e for e in nlp.entities(sent) if e.label in ("ORG", "GPE", "PERSON")]
        others = [e for s2 in by_doc[doc] + [x for _, x in sentences] for e in nlp.entities(s2)
                  if e.label in {x.label for x in ents} and e.text.lower() not in sent.lower()]
        if ents and others:
            target = ents[0]
            swap = next((o for o in others if o.label == target.label), None)
            if swap is not None:
                cases.append(Case(sent[: target.start] + swap.text + sent[target.end:], sent, "entity", False))
        aux = _AUX.search(sent)
        if aux:
            cases.append(Case(sent[: aux.end()] + " not" + sent[aux.end():], sent, "negation", False))
        cases.append(Case(sent[:-1] + _CLAUSE_TAILS[i % len(_CLAUSE_TAILS)] + ".", sent, "clause_added", False))
    return cases
