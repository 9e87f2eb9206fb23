"""Every dev answer in one JSON file, to show that a change which claims "no change in behaviour" changes no answer.

It asks the chip-war dev questions (``tests/data/qa.jsonl``) over the bundled corpus and the SQuAD 2.0 dev articles
kept in ``bench/data`` (the same sample as ``bench/squad_eval.py --set dev``) through the public API only
(:func:`rag.build_index`, :func:`rag.answer`), so it runs unchanged on any layout of the package. ``--diff`` compares
two such files and prints the questions whose text, status, confidence or citations differ.

Run:  python bench/answer_snapshot.py --out before.json   (then, after the change)
      python bench/answer_snapshot.py --out after.json --diff before.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from squad_eval import SETS, sample  # noqa: E402


def record(a) -> dict:
    return {"text": a.text, "status": a.status, "reason": a.reason, "confidence": round(a.confidence, 6),
            "citations": [[c.marker, c.doc_id, c.start, c.end] for c in a.citations]}


def snapshot() -> dict[str, dict]:
    from rag import answer, build_index

    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "chipwar-index"
        build_index(ROOT / "corpus", index)
        for line in (ROOT / "tests" / "data" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            if q.get("split", "dev") == "dev":
                out[f"chipwar/{q['id']}"] = record(answer(q["question"], index_dir=index))
        squad, articles = SETS["dev"]
        work, corpus, questions = sample(str(squad), articles, 100, 0)  # squad_eval.py's dev sample
        try:
            build_index(corpus, work / "index")
            for q in questions:
                out[f"squad-dev/{q['id']}"] = record(answer(q["question"], index_dir=work / "index"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="where to write this run's answers (JSON)")
    ap.add_argument("--diff", help="an earlier run's file: print the questions whose answers differ")
    args = ap.parse_args()
    now = snapshot()
    Path(args.out).write_text(json.dumps(now, indent=1, sort_keys=True), encoding="utf-8")
    print(f"{len(now)} answers written to {args.out}")
    if args.diff:
        before = json.loads(Path(args.diff).read_text(encoding="utf-8"))
        differing = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
        for key in differing:
            print(f"differs: {key}\n  before: {before.get(key)}\n  after:  {now.get(key)}")
        print(f"{len(differing)} of {len(now)} answers differ")
        sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
