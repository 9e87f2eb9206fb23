"""Out-of-domain check on SQuAD 2.0 (public, CC BY-SA 4.0): Wikipedia articles, crowd-written questions, a share of
them unanswerable by design. The default articles (``--set held-out``) are the ones ``train/answer_scorer.py`` holds
out (never trained on) and the figures the README reports. ``--set dev`` asks four SQuAD 2.0 *dev* articles kept in
``bench/data`` (never trained on either): out-of-domain choices are measured there, never on the held-out articles.

Writes the chosen articles as a Markdown corpus (one file per article, paragraphs kept), builds an index with
``rag.build_index``, asks every sampled question through ``rag.answer`` and prints, per answerable/unanswerable:
gold answer found in the text (answered + partial), answered/partial/not-found rates, ROC AUC of the answer's
confidence (answerable vs unanswerable) and latency. The held-out set is read from ``../shared/train-data/squad2``
(never by the test suite).

Run:  nice -n 5 python bench/squad_eval.py [--set held-out|dev] [--articles Spectre_(2015_film) To_Kill_a_Mockingbird]
                                            [--per-article 100] [--seed 0] [--out squad-report.json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

SQUAD = Path(__file__).resolve().parents[2] / "shared" / "train-data" / "squad2" / "train-v2.0-first10.json"
DEFAULT_ARTICLES = ["Spectre_(2015_film)", "To_Kill_a_Mockingbird"]  # = HELD_OUT in train/answer_scorer.py
SETS = {  # --set: where the articles come from
    "held-out": (SQUAD, DEFAULT_ARTICLES),  # what the README reports; never tuned on
    # for tuning out-of-domain choices: SQuAD 2.0 dev articles kept in the repository (bench/data/README.md)
    "dev": (Path(__file__).resolve().parent / "data" / "squad2-dev-4-articles.json",
            ["Normans", "Steam_engine", "Harvard_University", "Warsaw"]),
}


def auc(pos: list[float], neg: list[float]) -> float | None:
    """ROC AUC of a score, answerable (positive) vs unanswerable questions."""
    if not pos or not neg:
        return None
    return round(sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg)), 3)


def sample(squad: str, articles: list[str], per_article: int, seed: int) -> tuple[Path, Path, list[dict]]:
    """A corpus of ``articles`` (one Markdown file each) in a new scratch folder, and the sampled questions (up to half
    of each article's unanswerable); returns (scratch folder, corpus folder, questions)."""
    data = {a["title"]: a for a in json.loads(Path(squad).read_text(encoding="utf-8"))["data"]}
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="squad-"))
    corpus, questions = work / "corpus", []
    corpus.mkdir()
    for title in articles:
        article = data[title]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        body = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        (corpus / f"{slug}.md").write_text(f"---\ntitle: '{title.replace('_', ' ')}'\nid: {slug}\n---\n\n{body}\n",
                                           encoding="utf-8")
        qas = [q for p in article["paragraphs"] for q in p["qas"]]
        pos = [q for q in qas if not q["is_impossible"]]
        neg = [q for q in qas if q["is_impossible"]]
        half = per_article // 2
        questions += rng.sample(pos, min(len(pos), per_article - min(len(neg), half)))
        questions += rng.sample(neg, min(len(neg), half))
    return work, corpus, questions


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", choices=sorted(SETS), default="held-out",
                    help="held-out: two SQuAD train articles never trained on (reported); dev: four SQuAD dev "
                         "articles for tuning (bench/data)")
    ap.add_argument("--squad", help="SQuAD JSON file (default: the --set's)")
    ap.add_argument("--articles", nargs="+", help="article titles (default: the --set's)")
    ap.add_argument("--per-article", type=int, default=100,
                    help="questions sampled per article (up to half unanswerable)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="squad-report.json")
    args = ap.parse_args()
    args.squad = args.squad or str(SETS[args.set][0])
    args.articles = args.articles or SETS[args.set][1]
    from rag.app.api import answer, build_index
    from rag.app.evaluate import fact_found, span_scores, wilson

    work, corpus, questions = sample(args.squad, args.articles, args.per_article, args.seed)
    index = work / "index"
    build_index(corpus, index)
    rows = []
    for q in questions:
        started = time.perf_counter()
        a = answer(q["question"], index_dir=index)
        golds = [x["text"] for x in q["answers"]]
        short = a.short_answer.text if a.short_answer else ""
        em, f1 = span_scores(short, golds) if golds and short else (0.0, 0.0)
        rows.append({"id": q["id"], "answerable": not q["is_impossible"], "status": a.status,
                     "confidence": a.confidence, "short": short, "short_em": em, "short_f1": f1,
                     "found": fact_found(a.text, golds) if golds else None,
                     "seconds": time.perf_counter() - started})
    ans = [r for r in rows if r["answerable"]]
    un = [r for r in rows if not r["answerable"]]

    def rate(rs, key, value=True):
        return round(statistics.fmean([r[key] == value for r in rs]), 3) if rs else None

    def interval(flags: list[bool]):  # the 95% Wilson interval of a rate (rag.app.evaluate.wilson)
        iv = wilson(sum(flags), len(flags))
        return [round(x, 3) for x in iv] if iv else None

    gold = [bool(r["found"]) and r["status"] != "not_found" for r in ans]

    summary = {
        "articles": args.articles, "questions": len(rows), "answerable": len(ans), "unanswerable": len(un),
        "gold_in_text_answerable": round(statistics.fmean(gold), 3) if ans else None,
        "answered_answerable": rate(ans, "status", "answered"), "partial_answerable": rate(ans, "status", "partial"),
        "answered_unanswerable": rate(un, "status", "answered"), "partial_unanswerable": rate(un, "status", "partial"),
        "confidence_auc": auc([r["confidence"] or 0.0 for r in ans], [r["confidence"] or 0.0 for r in un]),
        # the direct short answer (Answer.short_answer), retrieval included: EM/F1 over every answerable question (no
        # short answer scores 0), and F1 over those that got one
        "short_answer_given_answerable": round(statistics.fmean(bool(r["short"]) for r in ans), 3) if ans else None,
        "short_answer_em": round(statistics.fmean(r["short_em"] for r in ans), 3) if ans else None,
        "short_answer_f1": round(statistics.fmean(r["short_f1"] for r in ans), 3) if ans else None,
        "short_answer_f1_given": round(statistics.fmean(r["short_f1"] for r in ans if r["short"]), 3)
        if any(r["short"] for r in ans) else None,
        "latency_p50_s": round(statistics.median(r["seconds"] for r in rows), 3),
        "intervals_95": {"gold_in_text_answerable": interval(gold),
                         "answered_answerable": interval([r["status"] == "answered" for r in ans]),
                         "answered_unanswerable": interval([r["status"] == "answered" for r in un])},
    }
    print(json.dumps(summary, indent=1))
    Path(args.out).write_text(json.dumps({"summary": summary, "questions": rows}, indent=1))


if __name__ == "__main__":
    main()
