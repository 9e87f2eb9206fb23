"""Train the verifier's support model: a MiniLM-L6 cross-encoder over (claim, evidence) -> supported or not.

Data:
- SciFact train rationales (``../shared/train-data/scifact/rationales_train.jsonl``; claims and annotations CC BY 4.0,
  abstracts ODC-By 1.0): the claim against its rationale sentences, SUPPORT -> 1, CONTRADICT -> 0 (564 pairs); and
  a contradicted claim made from each SUPPORT claim that allows one (:func:`scifact_flips`: a word of direction
  replaced by its opposite, or "not" inserted) -> 0 (247 pairs; ``--no-flips`` leaves them out).
- Synthetic pairs from the bundled articles at odd positions (the verifier battery's *dev* half,
  ``tests/trust/verifier_battery.py``; its test half is never read here): each sentence against itself, its first clause
  and itself with a leading connective or adverb dropped -> 1; a number changed (x2, +3, -1), a name swapped for a
  name of the same spaCy label from another sentence, "not" inserted after the first auxiliary, or a clause of
  another article's sentence appended -> 0. The templates differ from the battery's (other number changes, appended
  clauses taken from real sentences instead of the battery's fixed tails).

Cross-validation (reported in the model card): 2 folds over SciFact claims (pairs that share a claim or an evidence
text stay in one fold, with the claims made from them) and over synthetic source sentences; each fold is predicted
by a model trained on the other folds. The out-of-fold predictions give SciFact balanced accuracy at 0.5 and the
floor the verifier uses (the highest threshold that keeps at least 0.97 of the faithful synthetic claims), so no
threshold is chosen on the battery's test half. The shipped model is then trained on everything.

Run:  python train/support_model.py [--folds 2] [--epochs 3] [--max-synthetic 1000] [--init /tmp/scorer-train/model]
                                    [--work /tmp/support-train]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SCIFACT = ROOT.parent / "shared" / "train-data" / "scifact" / "rationales_train.jsonl"
MODEL_DIR = ROOT / "rag" / "models" / "support"
NAME = "minilm-l6-support-v2"
MAX_LENGTH = 160
SEED = 7
MAX_SYNTHETIC = 1000
KEEP_FAITHFUL = 0.97
_AUX = re.compile(r"\b(is|are|was|were|has|have|had|will|can|could|would|should|may|might)\b")
_LEAD = re.compile(r"^(?:However|Moreover|Meanwhile|Additionally|Furthermore|Notably|Indeed|Still|Yet|Also),?\s+")


def scifact_rows(path: Path) -> list[dict]:
    """SciFact (claim, rationale) pairs. Cross-validation groups join pairs that share a claim *or* an evidence
    text: 238 of the 564 pairs share their evidence with another claim, often the same finding stated the other way
    round, and a model that has seen the evidence with one claim must not be scored on the other."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        evidence = " ".join(r["sentences"][i].strip() for i in sorted(r["rationale_idx"]))
        rows.append({"a": r["claim"], "b": evidence, "label": int(r["label"] == "SUPPORT"),
                     "claim": r["claim_id"], "kind": "scifact"})
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:  # union the claim with its evidence
        parent[find(f"claim-{r['claim']}")] = find(f"evidence-{zlib.crc32(r['b'].encode())}")
    for r in rows:
        r["group"] = "scifact-" + find(f"claim-{r['claim']}")
    return rows


def corpus_sentences() -> list[tuple[str, str]]:
    """(doc, sentence) of the bundled articles at odd positions (the battery's dev half)."""
    from rag.text.sentences import split_sentences

    out = []
    for n, path in enumerate(sorted((ROOT / "corpus").glob("*.md"))):
        if n % 2 == 0:
            continue
        text = path.read_text(encoding="utf-8").split("\n---", 1)[-1]
        for s, e in split_sentences(text):
            sent = text[s:e].strip()
            if 8 <= len(sent.split()) <= 60 and sent.endswith("."):
                out.append((path.stem, sent))
    return out


def synthetic_rows(rng: random.Random) -> list[dict]:
    from rag.text import nlp

    sents = corpus_sentences()
    ents = nlp.entities_many([s for _, s in sents])
    pool: dict[str, list[tuple[str, str]]] = {}
    for (doc, _), found in zip(sents, ents):
        for e in found:
            pool.setdefault(e.label, []).append((doc, e.text))
    rows = []
    for (doc, sent), found in zip(sents, ents):
        group = f"corpus-{doc}-{zlib.crc32(sent.encode())}"

        def add(claim: str, label: int, kind: str) -> None:
            rows.append({"a": claim, "b": sent, "label": label, "group": group, "kind": kind})

        add(sent, 1, "itself")
        first = re.split(r",\s|;\s", sent)[0]
        if len(first.split()) >= 6 and first != sent:
            add(first.rstrip(".") + ".", 1, "clause")
        if _LEAD.match(sent):
            rest = _LEAD.sub("", sent)
            add(rest[0].upper() + rest[1:], 1, "rewrite")
        m = re.search(r"(?<![\w.,])(\d+(?:\.\d+)?)(?![\d,])", sent)
        if m:
            value = float(m.group(1))
            new = rng.choice([value * 2, value + 3, max(0.0, value - 1)])
            text = f"{new:g}" if new != value else f"{value + 1:g}"
            add(sent[: m.start(1)] + text + sent[m.end(1):], 0, "number")
        names = [e for e in found if e.label in ("ORG", "GPE", "PERSON", "NORP", "PRODUCT")]
        if names:
            target = rng.choice(names)
            others = sorted({t for d, t in pool.get(target.label, []) if t.lower() not in sent.lower()})
            if others:
                add(sent[: target.start] + rng.choice(others) + sent[target.end:], 0, "entity")
        aux = _AUX.search(sent)
        if aux:
            add(sent[: aux.end()] + " not" + sent[aux.end():], 0, "negation")
        other_doc, other = rng.choice([x for x in sents if x[0] != doc])
        clause = re.split(r",\s|;\s", other.rstrip("."))[-1]
        if len(clause.split()) >= 4:
            add(f"{sent.rstrip('.')}, and {clause[0].lower() + clause[1:]}.", 0, "clause_added")
    return rows


# Generic English words of direction and their opposites (not drawn from any corpus): a claim that says the opposite
# of its evidence is how most SciFact contradictions are written ("... results in decreased tau phosphorylation").
OPPOSITES = {"increase": "decrease", "increases": "decreases", "increased": "decreased", "increasing": "decreasing",
             "higher": "lower", "more": "less", "greater": "smaller", "positive": "negative",
             "positively": "negatively", "promote": "inhibit", "promotes": "inhibits", "promoted": "inhibited",
             "enhance": "impair", "enhances": "impairs", "enhanced": "impaired", "improves": "worsens",
             "improved": "worsened", "better": "worse", "reduce": "raise", "reduces": "raises", "reduced": "raised",
             "activates": "inhibits", "induces": "suppresses", "longer": "shorter", "high": "low",
             "upregulates": "downregulates", "prevents": "causes", "protects": "harms", "benefit": "harm"}
OPPOSITES |= {b: a for a, b in list(OPPOSITES.items())}
_OPPOSITE = re.compile(r"\b(" + "|".join(sorted(OPPOSITES, key=len, reverse=True)) + r")\b", re.I)
_CLAIM_AUX = re.compile(r"\b(is|are|was|were|has|have|had|can|could|does|do|did|will|may)\b(?! not\b)")


def scifact_flips(rows: list[dict]) -> list[dict]:
    """A contradicted claim made from each SciFact SUPPORT claim, against the same evidence (label 0): its first
    word of direction replaced by the opposite, else "not" after its first auxiliary. Each stays in its claim's
    group, so cross-validation never trains on a flip of a claim it is scored on."""
    out = []
    for r in rows:
        if r["label"] != 1:
            continue
        m = _OPPOSITE.search(r["a"])
        if m:
            word = OPPOSITES[m.group(1).lower()]
            word = word.capitalize() if m.group(1)[0].isupper() else word
            out.append({**r, "a": r["a"][: m.start()] + word + r["a"][m.end():], "label": 0, "kind": "scifact_flip"})
            continue
        m = _CLAIM_AUX.search(r["a"])
        if m:
            out.append({**r, "a": r["a"][: m.end()] + " not" + r["a"][m.end():], "label": 0, "kind": "scifact_not"})
    return out


def folds(rows: list[dict], k: int, rng: random.Random) -> list[int]:
    groups = sorted({r["group"] for r in rows})
    rng.shuffle(groups)
    fold_of = {g: i % k for i, g in enumerate(groups)}
    return [fold_of[r["group"]] for r in rows]


def balanced_accuracy(labels: list[int], scores: list[float], threshold: float = 0.5) -> float:
    pos = [s >= threshold for s, y in zip(scores, labels) if y]
    neg = [s < threshold for s, y in zip(scores, labels) if not y]
    return (statistics.fmean(pos) + statistics.fmean(neg)) / 2


def rules_balanced_accuracy(rows: list[dict]) -> float:
    """The rule verifier alone (rag.trust.verify) on the same SciFact pairs, for comparison."""
    from rag.encoders.registry import get_embedder
    from rag.text.sentences import split_sentences
    from rag.trust.verify import Verifier

    emb = get_embedder("minilm")
    v = Verifier(lambda texts: emb.encode(texts), support=False)
    preds = []
    for r in rows:
        ev = r["b"]
        sentences = [ev[s:e] for s, e in split_sentences(ev)] or [ev]
        _, _, supported, _ = v.judge(r["a"], emb.encode([r["a"]])[0], sentences)
        preds.append(1.0 if supported else 0.0)
    return balanced_accuracy([r["label"] for r in rows], preds)


def main() -> None:
    from finetune import export_openvino, finetune, predict

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scifact", default=str(SCIFACT))
    ap.add_argument("--work", default="/tmp/support-train")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--max-synthetic", type=int, default=MAX_SYNTHETIC)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--init", default="/tmp/scorer-train/model",
                    help="start from this saved cross-encoder: the answer scorer's SQuAD model, written by "
                    "train/answer_scorer.py (from plain all-MiniLM-L6-v2 with --init '': CV balanced accuracy "
                    "0.50 SciFact / 0.53 synthetic, nothing learned)")
    ap.add_argument("--card-only", action="store_true", help="rewrite MODEL_CARD.md from WORK/metrics.json")
    ap.add_argument("--no-flips", dest="flips", action="store_false",
                    help="leave out the contradicted claims made from SciFact SUPPORT claims (scifact_flips)")
    ap.add_argument("--cv-only", action="store_true", help="report the cross-validated metrics; train no final model")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    args.init = args.init or None
    if args.card_only:
        saved = json.loads((work / "metrics.json").read_text())
        return write_card(saved, saved["train"], args)
    rng = random.Random(SEED)
    sci, syn = scifact_rows(Path(args.scifact)), synthetic_rows(rng)
    if len(syn) > args.max_synthetic:  # keeps training to minutes on 2 cores; SciFact stays whole
        syn = rng.sample(syn, args.max_synthetic)
    rows = sci + (scifact_flips(sci) if args.flips else []) + syn
    kinds = {k: sum(r["kind"] == k for r in rows) for k in sorted({r["kind"] for r in rows})}
    print(f"pairs {len(rows)}: {kinds}", flush=True)
    fold = folds(rows, args.folds, random.Random(SEED))
    oof = [0.0] * len(rows)
    for f in range(args.folds):
        train = [r for r, g in zip(rows, fold) if g != f]
        held = [i for i, g in enumerate(fold) if g == f]
        saved = work / f"oof{f}.json"  # a finished fold is kept, so an interrupted run resumes
        if saved.exists() and json.loads(saved.read_text())["held"] == held:
            preds = json.loads(saved.read_text())["scores"]
        else:
            print(f"== fold {f + 1}/{args.folds}: train {len(train)}, held out {len(held)}", flush=True)
            finetune(train, work / f"fold{f}", epochs=args.epochs, batch=args.batch, lr=args.lr,
                     max_length=MAX_LENGTH, seed=SEED, init=args.init)
            preds = predict(work / f"fold{f}", [rows[i] for i in held], MAX_LENGTH)
            saved.write_text(json.dumps({"held": held, "scores": preds}))
        for i, s in zip(held, preds):
            oof[i] = s
    sci_idx = [i for i, r in enumerate(rows) if r["kind"] == "scifact"]
    syn_idx = [i for i, r in enumerate(rows) if not r["kind"].startswith("scifact")]
    flip_idx = [i for i, r in enumerate(rows) if r["kind"] in ("scifact_flip", "scifact_not")]
    faithful = sorted(oof[i] for i in syn_idx if rows[i]["label"] == 1)
    floor = faithful[int((1 - KEEP_FAITHFUL) * len(faithful))] if faithful else 0.5
    metrics = {
        "scifact_pairs": len(sci_idx), "synthetic_pairs": len(syn_idx), "kinds": kinds,
        "scifact_cv_balanced_accuracy": round(balanced_accuracy([rows[i]["label"] for i in sci_idx],
                                                                [oof[i] for i in sci_idx]), 3),
        "synthetic_cv_balanced_accuracy": round(balanced_accuracy([rows[i]["label"] for i in syn_idx],
                                                                  [oof[i] for i in syn_idx]), 3),
        "floor": round(float(floor), 4),
        "synthetic_cv_rejected_at_floor": {k: round(statistics.fmean(oof[i] < floor for i in syn_idx
                                                                     if rows[i]["kind"] == k), 3)
                                           for k in sorted({rows[i]["kind"] for i in syn_idx})},
        "scifact_rules_balanced_accuracy": round(rules_balanced_accuracy(sci), 3),
    }
    if flip_idx:  # out of fold, like the rest: a claim's flip is scored by the model that did not train on it
        metrics["scifact_flips_cv_rejected"] = round(statistics.fmean(oof[i] < 0.5 for i in flip_idx), 3)
    print(json.dumps(metrics, indent=1), flush=True)
    if args.cv_only:
        (work / "metrics.json").write_text(json.dumps(metrics, indent=1))
        return
    print("== final model on all pairs", flush=True)
    info = finetune(rows, work / "model", epochs=args.epochs, batch=args.batch, lr=args.lr, max_length=MAX_LENGTH,
                    seed=SEED, init=args.init)
    export_openvino(work / "model", work / "model.fp32.onnx", MODEL_DIR / "model.xml")
    (MODEL_DIR / "scorer.json").write_text(json.dumps({"name": NAME, "max_length": MAX_LENGTH,
                                                       "floor": metrics["floor"]}, indent=1) + "\n")
    (work / "metrics.json").write_text(json.dumps({**metrics, "train": info}, indent=1))
    write_card(metrics, info, args)


def write_card(m: dict, info: dict, args) -> None:
    size = (MODEL_DIR / "model.bin").stat().st_size / 1e6
    card = f"""# Model card: {NAME}

A cross-encoder that scores whether a claim (an answer sentence) is supported by its evidence (the cited sentence
window). The verifier (`rag/verify.py`) rejects a sentence whose score is below the floor {m['floor']}, on top of its
rule checks (numbers as values, names, polarity, clause coverage).

- **Base:** {"the shipped answer scorer's SQuAD stage (all-MiniLM-L6-v2 fine-tuned by `train/answer_scorer.py`, "
  "before its chip-war dev stage)" if args.init else "all-MiniLM-L6-v2"}, one logit on [CLS]; input
  `[CLS] claim [SEP] evidence [SEP]`, at most {info['max_length']} word pieces. Starting from plain all-MiniLM-L6-v2
  learned nothing (CV balanced accuracy 0.50 on SciFact, 0.53 on the synthetic pairs); from the first answer
  scorer's SQuAD stage, SciFact 0.512.
- **File:** `model.xml` + `model.bin` (OpenVINO IR, fp16 weights, {size:.1f} MB); run by OpenVINO (`rag/scorer.py`).
- **Data:** SciFact train rationales ({m['scifact_pairs']} pairs, CC BY 4.0 / ODC-By 1.0); a contradicted claim made
  from each SciFact SUPPORT claim that allows one, against the same evidence (`scifact_flip`: its first word of
  direction replaced by the opposite, "increases" -> "decreases", "promotes" -> "inhibits"; `scifact_not`: "not"
  after its first auxiliary); and {m['synthetic_pairs']} synthetic pairs from the bundled articles at odd positions
  (the battery's dev half). Pairs by kind: {', '.join(f'{k} {v}' for k, v in m['kinds'].items())}. How each kind is
  made: `train/support_model.py`.
- **Training:** {info['epochs']} epochs, batch {info['batch']}, AdamW lr {info['lr']}, warm-up 10 %, BCE, bf16
  autocast, seed {info['seed']}; {info['seconds']} s on 2 CPU cores; torch {info['torch']}, transformers
  {info['transformers']}.
- **Cross-validated ({args.folds} folds, out-of-fold predictions; SciFact pairs that share a claim or an evidence text
  stay in one fold with the claims made from them, corpus pairs by source sentence):** SciFact balanced accuracy
  {m['scifact_cv_balanced_accuracy']} at 0.5 (the rule verifier alone on the same pairs:
  {m['scifact_rules_balanced_accuracy']}); made-up SciFact contradictions rejected at 0.5:
  {m.get('scifact_flips_cv_rejected', '—')}; synthetic balanced accuracy {m['synthetic_cv_balanced_accuracy']}.
  Floor {m['floor']} keeps {KEEP_FAITHFUL} of faithful synthetic claims; share rejected at the floor by kind:
  {', '.join(f'{k} {v}' for k, v in m['synthetic_cv_rejected_at_floor'].items())}.
- **Reproduce:** `python train/answer_scorer.py --stage data` and `--stage train`, then
  `python train/support_model.py --folds {args.folds} --epochs {args.epochs}`.
- **Limits:** {m['scifact_cv_balanced_accuracy']} on SciFact is well above the rules' chance level but far from an
  NLI model trained on a large corpus (none is available offline here): the contradictions it catches are mostly
  claims that state the opposite direction of a finding, or negate it. It is a second line behind the rule checks,
  at a floor that costs about 3 % of faithful paraphrases.
"""
    (MODEL_DIR / "MODEL_CARD.md").write_text(card, encoding="utf-8")


if __name__ == "__main__":
    main()
