"""Choose how the short answer is found (rag/answering/short.py) on the dev sets only: the chip-war dev split and the
four SQuAD dev articles. Every question is answered once through ``rag.answer``; for each answered one, the short
answer is recomputed from the same citations under each alternative, and the script prints per alternative:

- chip-war dev: short answer given (share of answered), and holding a key fact (share of those given, and of all
  answered);
- SQuAD dev: exact match and F1 over the answerable questions (no short answer scores 0), retrieval included.

Run:  python bench/tune_short.py [--margins -2 -1 0 1 2 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def policies(margins: list[float]) -> dict[str, dict]:
    out: dict[str, dict] = {"typed only": {"order": ("typed",)}}
    for m in margins:
        out[f"reader only, margin {m:+g}"] = {"order": ("reader",), "margin": m}
        out[f"reader then typed, margin {m:+g}"] = {"order": ("reader", "typed"), "margin": m}
        out[f"typed then reader, margin {m:+g}"] = {"order": ("typed", "reader"), "margin": m}
        out[f"reader one at a time then typed, margin {m:+g}"] = {"order": ("reader", "typed"), "margin": m,
                                                                  "together": False}
    return out


def collect_chipwar() -> list[tuple]:
    from rag.answering.questions import analyse
    from rag.app.api import answer
    from rag.app.evaluate import load_qa

    rows = []
    for q in load_qa(str(ROOT / "tests" / "data" / "qa.jsonl"), "dev"):
        a = answer(q.question, history=q.history)
        if a.status == "answered" and q.answerable and q.key_facts:
            rows.append((analyse(q.question), list(a.citations), q.key_facts))
    return rows


def collect_squad() -> tuple[list[tuple], int]:
    from squad_eval import SETS, sample

    from rag.answering.questions import analyse
    from rag.app.api import answer, build_index

    squad, articles = SETS["dev"]
    work, corpus, questions = sample(str(squad), articles, 100, 0)
    index = work / "index"
    build_index(corpus, index)
    rows, answerable = [], 0
    for q in questions:
        if q["is_impossible"]:
            continue
        answerable += 1
        a = answer(q["question"], index_dir=index)
        if a.status == "answered":
            rows.append((analyse(q["question"]), list(a.citations), [x["text"] for x in q["answers"]]))
    return rows, answerable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--margins", type=float, nargs="+", default=[-2, -1, 0, 1, 2, 3])
    ap.add_argument("--out", default="tune-short.json")
    args = ap.parse_args()
    from rag.answering.short import short_answer
    from rag.app.evaluate import fact_found, span_scores

    chip = collect_chipwar()
    squad, answerable = collect_squad()
    report = {}
    for name, kw in policies(args.margins).items():
        shorts = [short_answer(info, cites, **kw) for info, cites, _ in chip]
        given = [s for s in shorts if s is not None]
        held = [any(fact_found(s.text, f) for f in facts) for s, (_, _, facts) in zip(shorts, chip) if s is not None]
        scores = []
        for info, cites, golds in squad:
            s = short_answer(info, cites, **kw)
            scores.append(span_scores(s.text, golds) if s is not None else (0.0, 0.0))
        report[name] = {
            "chipwar_given": round(len(given) / max(1, len(chip)), 3),
            "chipwar_holds_key_fact": round(statistics.fmean(held), 3) if held else None,
            "chipwar_holds_of_answered": round(sum(held) / max(1, len(chip)), 3),
            "squad_em": round(sum(e for e, _ in scores) / max(1, answerable), 3),
            "squad_f1": round(sum(f for _, f in scores) / max(1, answerable), 3)}
        print(f"{name:36s} {json.dumps(report[name])}", flush=True)
    report["_counts"] = {"chipwar_answered": len(chip), "squad_answered": len(squad), "squad_answerable": answerable}
    Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
