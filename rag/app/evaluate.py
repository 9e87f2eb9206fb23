"""Evaluation of answers on JSONL question sets: retrieval, key facts, citation quality, outcomes, latency.

Question format (one JSON object per line)::

    {"id": "a01", "question": "...", "answerable": true, "type": "number", "split": "dev",
     "key_facts": [["5nm", "5-nanometer"], ["N+3"]],   # each fact: alternative spellings, any one counts
     "doc_ids": ["article-id"], "evidence": ["a verbatim sentence"], "history": [{"role": "user", "content": "..."}]}

``split`` is ``dev`` (used for fitting, thresholds and feature design) or ``test`` (never tuned on; what tests
assert on and the README reports). Every figure is reported per split as well as overall.

Metric names follow ALCE (Gao et al. 2023): *citation recall* is the share of answer sentences supported by the
passages they cite, *citation precision* the share of citations that support their sentence; both are judged by
this project's verifier.
"""

from __future__ import annotations

import json
import re
import statistics
import string
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.core.errors import ConfigError
from rag.core.types import Answer


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answerable: bool
    type: str = "fact"
    key_facts: list[list[str]] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    history: list[dict] | None = None
    split: str = "dev"


def load_qa(path: str | Path, split: str | None = None) -> list[QAItem]:
    """Read a question set (only the ``split`` questions when given).

    :raises ConfigError: naming the line that is not a valid question."""
    items = []
    known = set(QAItem.__dataclass_fields__)
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(QAItem(**{k: v for k, v in raw.items() if k in known}))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}, line {n}: not a valid question record ({exc})") from None
    return [i for i in items if split is None or i.split == split]


_MARKERS = re.compile(r"\s*\[\d+\]")


def fact_found(text: str, alternatives: list[str]) -> bool:
    """Whether any alternative occurs in ``text``, case-insensitively, with the answer's citation markers removed
    ("dying of thallium poisoning [2]." holds "thallium poisoning.") and the alternative's surrounding punctuation
    ignored."""
    low = _MARKERS.sub("", text).lower()
    return any(a and a in low for a in (alt.lower().strip(" \t\n.,;:!?") for alt in alternatives))


_PUNCTUATION = frozenset(string.punctuation)


def _squad_tokens(text: str) -> list[str]:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return re.sub(r"\b(a|an|the)\b", " ", text).split()


def span_scores(prediction: str, golds: list[str]) -> tuple[float, float]:
    """SQuAD's exact match and token F1 of a short answer against its gold answers (the best over them)."""
    best_em, best_f1 = 0.0, 0.0
    pred = _squad_tokens(prediction)
    for gold in golds:
        ref = _squad_tokens(gold)
        best_em = max(best_em, float(pred == ref))
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best_f1 = max(best_f1, 2 * precision * recall / (precision + recall))
    return best_em, best_f1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass
class QuestionResult:
    id: str
    type: str
    answerable: bool
    abstained: bool
    seconds: float
    split: str = "dev"
    status: str = "answered"
    doc_hit: bool | None = None
    evidence_hit: bool | None = None
    reciprocal_rank: float = 0.0
    key_fact_coverage: float | None = None
    citations: int = 0
    citations_valid: int = 0
    sentences: int = 0
    sentences_supported: int = 0
    citations_supporting: int = 0
    answer: str = ""
    short_answer: str = ""
    short_answer_fact: bool | None = None
    """Whether the short answer holds one of the question's key facts (answered answerable questions with a short
    answer and key facts only)."""
    confidence: float | None = None
    """``Answer.confidence``: how sure the answerer was (ranks the questions of the risk-coverage curve)."""

    @property
    def correct(self) -> bool:
        """An answerable question whose answer holds every key fact (what answering it should give); questions without
    key facts are left out of the risk-coverage figures."""
        return self.answerable and self.key_fact_coverage == 1.0


def evaluate_item(item: QAItem, answer_fn: Callable[..., Answer], documents: dict[str, str], k: int) -> QuestionResult:
    """Run one question through ``answer_fn(question, history=...)`` and score it."""
    started = time.perf_counter()
    ans = answer_fn(item.question, history=item.history)
    seconds = time.perf_counter() - started
    status = ans.status
    res = QuestionResult(item.id, item.type, item.answerable, ans.abstained, seconds, item.split, status, answer=ans.text,
                         confidence=ans.confidence, short_answer=ans.short_answer.text if ans.short_answer else "")
    if res.short_answer and item.answerable and item.key_facts and status == "answered":
        res.short_answer_fact = any(fact_found(res.short_answer, f) for f in item.key_facts)
    if item.doc_ids:
        ranks = [i for i, p in enumerate(ans.passages[:k], 1) if p.doc_id in item.doc_ids]
        res.doc_hit = bool(ranks)
        res.reciprocal_rank = 1 / ranks[0] if ranks else 0.0
        res.evidence_hit = any(ev in p.text for p in ans.passages[:k] for ev in item.evidence) if item.evidence else None
    if item.answerable and item.key_facts:
        # answered and partial answers both show their sentences; a not-found answer covers nothing
        res.key_fact_coverage = 0.0 if status == "not_found" else sum(fact_found(ans.text, f) for f in item.key_facts) / len(item.key_facts)
    res.citations = len(ans.citations)
    res.citations_valid = sum(documents.get(c.doc_id, "")[c.start : c.end] == c.quote for c in ans.citations)
    kept = [s for s in ans.support if s.supported]
    res.sentences = len(kept) + sum(1 for s in ans.support if not s.supported)
    res.sentences_supported = len(kept)
    res.citations_supporting = sum(len(s.markers) for s in kept)
    return res


CONFIDENCE = 0.95


def _outcomes(rs: list[QuestionResult]) -> dict[str, list[bool]]:
    """The yes/no outcome behind each rate, per question: the rate is their mean, its interval :func:`wilson`'s."""
    ans = [r for r in rs if r.answerable]
    un = [r for r in rs if not r.answerable]
    return {
        "hit@k_article": [r.doc_hit for r in rs if r.doc_hit is not None],
        "hit@k_evidence": [r.evidence_hit for r in rs if r.evidence_hit is not None],
        "abstention_unanswerable": [r.abstained for r in un],
        "false_abstention_answerable": [r.abstained for r in ans],
        "answered_answerable": [r.status == "answered" for r in ans],
        "partial_answerable": [r.status == "partial" for r in ans],
        "answered_unanswerable": [r.status == "answered" for r in un],
        "partial_unanswerable": [r.status == "partial" for r in un],
    }


def _coverage(rs: list[QuestionResult]) -> list[float]:
    """Key-fact coverage of each answerable question that has key facts."""
    return [r.key_fact_coverage for r in rs if r.answerable and r.key_fact_coverage is not None]


def risk_coverage(rs: list[QuestionResult]) -> dict[str, float | None]:
    """Selective answering, as a threshold-free figure beside the rates a threshold sets.

    - ``answered_precision``: of the questions answered (status ``answered``), the share whose answer holds every key
      fact; an answered unanswerable question counts as wrong.
    - ``coverage``: the share of all questions answered.
    - ``aurc``: the area under the risk-coverage curve: the questions ranked by ``Answer.confidence`` (most sure
      first, none last), the risk (1 - the share correct) of answering the first n, averaged over every n. Lower is
      better; it does not move when only the answer/abstain threshold moves, which trades precision for coverage.
    - ``aurc_oracle``: the same area with the correct answers ranked first: the best any confidence could do here.
    """
    rs = [r for r in rs if not r.answerable or r.key_fact_coverage is not None]  # those whose correctness is known
    if not rs:
        return {"answered_precision": None, "coverage": None, "aurc": None, "aurc_oracle": None}
    answered = [r for r in rs if r.status == "answered"]
    ranked = sorted(rs, key=lambda r: -1.0 if r.confidence is None else -r.confidence)

    def area(order: list[QuestionResult]) -> float:
        right, risks = 0, []
        for n, r in enumerate(order, 1):
            right += r.correct
            risks.append(1 - right / n)
        return statistics.fmean(risks)

    return {"answered_precision": _mean([r.correct for r in answered]) if answered else None,
            "coverage": len(answered) / len(rs), "aurc": area(ranked),
            "aurc_oracle": area(sorted(rs, key=lambda r: not r.correct))}


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """The Wilson score interval of a share ``successes / n`` (scipy): how far a rate measured on ``n`` questions
    may be from the rate on questions like them (e.g. 45 of 58 answered: 0.65-0.86)."""
    if n == 0:
        return None
    from scipy.stats import binomtest

    ci = binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def bootstrap_mean(values: list[float], confidence: float = CONFIDENCE) -> tuple[float, float] | None:
    """A percentile-bootstrap interval of a mean of per-question scores (key-fact coverage: a share of facts per
    question), 9,999 resamples, fixed seed so that a report is reproducible."""
    if len(set(values)) < 2:
        return (values[0], values[0]) if values else None
    import numpy as np
    from scipy.stats import bootstrap

    res = bootstrap((np.asarray(values, dtype=float),), np.mean, confidence_level=confidence, n_resamples=9999,
                    method="percentile", rng=np.random.default_rng(0))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def summarize(results: list[QuestionResult]) -> dict:
    """Overall, per-split and per-type figures; overall and per split also ``intervals``: the 95% interval of each
    outcome rate (:func:`wilson`) and of key-fact coverage (:func:`bootstrap_mean`)."""

    def block(rs: list[QuestionResult]) -> dict:
        retrieval = [r for r in rs if r.doc_hit is not None]
        cites = sum(r.citations for r in rs)
        sentences = sum(r.sentences for r in rs)
        times = [r.seconds for r in rs]
        return {
            "questions": len(rs),
            **{key: _mean(flags) for key, flags in _outcomes(rs).items()},
            "mrr": _mean([r.reciprocal_rank for r in retrieval]),
            "key_fact_coverage": _mean(_coverage(rs)),
            "citation_validity": sum(r.citations_valid for r in rs) / cites if cites else None,
            "citation_recall": sum(r.sentences_supported for r in rs) / sentences if sentences else None,
            "citation_precision": sum(r.citations_supporting for r in rs) / cites if cites else None,
            **risk_coverage(rs),
            "short_answer_rate": _mean([bool(r.short_answer) for r in rs if r.status == "answered"]),
            "short_answer_key_fact": _mean([r.short_answer_fact for r in rs if r.short_answer_fact is not None]),
            "latency_p50_s": percentile(times, 0.5),
            "latency_p95_s": percentile(times, 0.95),
        }

    def with_intervals(rs: list[QuestionResult]) -> dict:
        intervals = {key: wilson(sum(flags), len(flags)) for key, flags in _outcomes(rs).items()}
        return {**block(rs), "intervals": {**intervals, "key_fact_coverage": bootstrap_mean(_coverage(rs))}}

    by_type, by_split = defaultdict(list), defaultdict(list)
    for r in results:
        by_type[r.type].append(r)
        by_split[r.split].append(r)
    return {"overall": with_intervals(results), "by_type": {t: block(rs) for t, rs in sorted(by_type.items())},
            "by_split": {s: with_intervals(rs) for s, rs in sorted(by_split.items())}}


def _mean(values: list) -> float | None:
    values = [float(v) for v in values if v is not None]
    return statistics.fmean(values) if values else None


def run_eval(qa_path: str | Path | list, *, index_dir: str | Path = "index", k: int = 5, backend: str | None = None,
             progress: Callable[[int], object] | None = None,
             split: str | None = None) -> tuple[list[QuestionResult], dict]:
    """Evaluate every question of ``qa_path`` (one file or several) with :func:`rag.answer`."""
    from rag.app.api import answer
    from rag.index.snapshot import load_index

    paths = qa_path if isinstance(qa_path, (list, tuple)) else [qa_path]
    items = [item for p in paths for item in load_qa(p, split)]
    snapshot = load_index(index_dir)
    documents = {d.id: d.text for d in snapshot.documents.values()}

    def answer_fn(question: str, history: list[dict] | None = None) -> Answer:
        return answer(question, history=history, index_dir=index_dir, backend=backend)

    results = []
    for item in items:
        results.append(evaluate_item(item, answer_fn, documents, k))
        if progress:
            progress(1)
    return results, summarize(results)


def results_json(results: list[QuestionResult], summary: dict) -> str:
    return json.dumps({"summary": summary, "questions": [asdict(r) for r in results]}, indent=1, ensure_ascii=False)
