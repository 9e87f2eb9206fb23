"""The verifier on hand-written paraphrases: does it accept honest rewording and reject a changed fact?

Each pair of ``bench/data/paraphrase_pairs.jsonl`` (how it was written: ``bench/data/README.md``) is judged the way
the answer pipeline judges an LLM sentence (:func:`rag.answering.pipeline._verify`): the claim is a draft sentence
citing passage [1], and passage [1] is a chunk holding the evidence sentence; :meth:`rag.trust.verify.Verifier.check`
gives the verdict, with the shipped support model and MiniLM (the embedder of the default index). Reported, for the
dev and the test half separately: the share of faithful claims accepted, of changed claims rejected, and the latter
by kind of change. Choices are tuned on the dev half only; the test half is reported, never tuned on.

``--scifact-train`` adds SciFact *train* rationales (``../shared/train-data/scifact/rationales_train.jsonl``):
SUPPORT claims accepted, CONTRADICT claims rejected. The support model was trained on these pairs, so the figure is
optimistic and is no held-out measure; SciFact dev labels are not available offline (the BEIR copy in
``../shared/bench-data/scifact`` has the dev claims and the abstracts they cite, but not whether an abstract supports or
contradicts a claim, nor its rationale sentences).

Run:  python bench/verifier_eval.py [--split dev|test|both] [--failures] [--rules-only] [--scifact-train]
                                    [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

PAIRS = ROOT / "bench" / "data" / "paraphrase_pairs.jsonl"
SCIFACT_TRAIN = ROOT.parent / "shared" / "train-data" / "scifact" / "rationales_train.jsonl"


def load_pairs(path: Path = PAIRS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def judge(verifier, claim: str, evidence_sentences: list[str], doc_id: str = "doc") -> tuple[bool, str]:
    """The pipeline's verdict on ``claim`` citing [1], a passage made of ``evidence_sentences``: (supported, reason)."""
    from rag.core.types import Chunk, RetrievedChunk
    from rag.trust.drafts import DraftSentence

    text, spans = "", []
    for s in evidence_sentences:
        if text:
            text += " "
        spans.append((len(text), len(text) + len(s)))
        text += s
    chunk = Chunk(f"{doc_id}-c", doc_id, doc_id, f"{doc_id}.md", 0, len(text), text, tuple(spans))
    [v] = verifier.check([DraftSentence(claim, (1,))], [RetrievedChunk(chunk, 1.0, rank=1)], {doc_id: text})
    return v.supported, v.reason


def make_verifier(rules_only: bool = False):
    from rag.encoders.cache import VectorCache
    from rag.encoders.registry import get_embedder
    from rag.trust.verify import Verifier

    return Verifier(VectorCache(get_embedder("minilm")), support=False if rules_only else None)


def battery(verifier, pairs: list[dict]) -> list[dict]:
    out = []
    for p in pairs:
        ok, reason = judge(verifier, p["claim"], [p["evidence"]], p["doc_id"])
        out.append({**p, "accepted": ok, "reason": reason})
    return out


def summary(rows: list[dict]) -> dict:
    faithful = [r["accepted"] for r in rows if r["label"] == "faithful"]
    changed = [not r["accepted"] for r in rows if r["label"] == "changed"]
    kinds: dict[str, list[bool]] = defaultdict(list)
    styles: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        if r["label"] == "changed":
            kinds[r["kind"]].append(not r["accepted"])
        else:
            styles[r["kind"]].append(r["accepted"])
    return {"faithful_accepted": round(statistics.fmean(faithful), 3) if faithful else None,
            "changed_rejected": round(statistics.fmean(changed), 3) if changed else None,
            "n_faithful": len(faithful), "n_changed": len(changed),
            "changed_rejected_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(kinds.items())},
            "faithful_accepted_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(styles.items())}}


def scifact_train(verifier) -> dict:
    rows = [json.loads(line) for line in SCIFACT_TRAIN.read_text(encoding="utf-8").splitlines()]
    sup, con = [], []
    for r in rows:
        sentences = [r["sentences"][i].strip() for i in sorted(r["rationale_idx"])]
        ok, _ = judge(verifier, r["claim"], sentences, f"scifact-{r['doc_id']}")
        (sup if r["label"] == "SUPPORT" else con).append(ok)
    return {"supported_accepted": round(statistics.fmean(sup), 3), "contradicted_rejected":
            round(1 - statistics.fmean(con), 3), "n_supported": len(sup), "n_contradicted": len(con)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "test", "both"], default="both")
    ap.add_argument("--failures", action="store_true", help="print the misjudged pairs of the dev half")
    ap.add_argument("--rules-only", action="store_true", help="without the support model")
    ap.add_argument("--scifact-train", action="store_true",
                    help="also SciFact train rationales (the support model's training data: not held out)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    verifier = make_verifier(args.rules_only)
    pairs = load_pairs()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    report: dict = {}
    for split in splits:
        rows = battery(verifier, [p for p in pairs if p["split"] == split])
        report[split] = summary(rows)
        s = report[split]
        print(f"{split}: faithful accepted {s['faithful_accepted']:.3f} (n={s['n_faithful']}), changed rejected "
              f"{s['changed_rejected']:.3f} (n={s['n_changed']})\n"
              f"  changed rejected by kind {s['changed_rejected_by_kind']}\n"
              f"  faithful accepted by kind {s['faithful_accepted_by_kind']}")
        if args.failures and split == "dev":
            for r in rows:
                if r["accepted"] != (r["label"] == "faithful"):
                    print(f"  [{r['label']}/{r['kind']}] {r['claim']}\n      -> {r['reason'] or 'accepted'}")
    if args.scifact_train:
        report["scifact_train"] = s = scifact_train(verifier)
        print(f"SciFact train (seen by the support model): supported accepted {s['supported_accepted']:.3f} "
              f"(n={s['n_supported']}), contradicted rejected {s['contradicted_rejected']:.3f} "
              f"(n={s['n_contradicted']})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
