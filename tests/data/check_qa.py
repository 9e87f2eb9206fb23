#!/usr/bin/env python3
"""Sanity checks for the question sets (tests/data/qa.jsonl = dev split, tests/data/qa_test.jsonl = test split)
against the Markdown corpus. Usage: ``python tests/data/check_qa.py [FILE ...]`` (default: both files).

Checks: every line parses; ids unique; required keys/types; doc_ids exist;
every evidence sentence occurs verbatim in the body of one of its doc_ids;
every key fact has at least one alternative found (case-insensitive) in at
least one evidence sentence; unanswerable items have no facts/docs/evidence.
"""
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(ROOT, "corpus")
QA_FILES = [os.path.join(HERE, "qa.jsonl"), os.path.join(HERE, "qa_test.jsonl")]
SPLITS = {"dev", "test"}
TYPES = {"number", "date", "person", "organization", "place", "reason", "list", "fact"}


def load_corpus():
    docs = {}
    for path in sorted(glob.glob(os.path.join(CORPUS, "*.md"))):
        text = open(path, encoding="utf-8").read()
        body = text
        doc_id = None
        if text.startswith("---"):
            end = text.find("\n---", 3)
            front = text[3:end]
            body = text[end + 4:]
            for line in front.splitlines():
                if line.startswith("id:"):
                    doc_id = line[3:].strip().strip("'\"")
        if doc_id is None:
            doc_id = os.path.splitext(os.path.basename(path))[0]
        docs[doc_id] = body
    return docs


def main(paths=None):
    docs = load_corpus()
    errors = []
    ids = set()
    n_ans = n_unans = 0
    lines = []
    for path in paths or QA_FILES:
        with open(path, encoding="utf-8") as f:
            lines += f.read().splitlines()
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            errors.append(f"line {ln}: empty line")
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {ln}: JSON error {e}")
            continue
        rid = r.get("id", f"<line {ln}>")
        for k in ("id", "question", "answerable", "type", "key_facts", "doc_ids", "evidence"):
            if k not in r:
                errors.append(f"{rid}: missing key {k}")
        if rid in ids:
            errors.append(f"{rid}: duplicate id")
        ids.add(rid)
        if r.get("split") not in SPLITS:
            errors.append(f"{rid}: split must be one of {sorted(SPLITS)}")
        if r.get("type") not in TYPES:
            errors.append(f"{rid}: bad type {r.get('type')!r}")
        if "history" in r:
            h = r["history"]
            if not isinstance(h, list) or not h or any(
                    m.get("role") not in ("user", "assistant") or not m.get("content") for m in h):
                errors.append(f"{rid}: malformed history")
        facts, dids, ev = r.get("key_facts", []), r.get("doc_ids", []), r.get("evidence", [])
        if not r.get("answerable"):
            n_unans += 1
            if facts or dids or ev:
                errors.append(f"{rid}: unanswerable item must have empty key_facts/doc_ids/evidence")
            continue
        n_ans += 1
        if not (1 <= len(facts) <= 3):
            errors.append(f"{rid}: expected 1-3 key facts, got {len(facts)}")
        if not (1 <= len(ev) <= 3):
            errors.append(f"{rid}: expected 1-3 evidence sentences, got {len(ev)}")
        if not dids:
            errors.append(f"{rid}: no doc_ids")
        for d in dids:
            if d not in docs:
                errors.append(f"{rid}: unknown doc_id {d}")
        for s in ev:
            if not any(s in docs[d] for d in dids if d in docs):
                errors.append(f"{rid}: evidence not found verbatim in its doc_ids: {s[:90]!r}")
        ev_low = [s.lower() for s in ev]
        for fact in facts:
            if not isinstance(fact, list) or not fact:
                errors.append(f"{rid}: malformed fact {fact!r}")
                continue
            if not any(alt.lower() in s for alt in fact for s in ev_low):
                errors.append(f"{rid}: no alternative of fact {fact} found in evidence")
        # each doc_id should be supported by at least one evidence sentence (warning only)
        for d in dids:
            if d in docs and not any(s in docs[d] for s in ev):
                print(f"note: {rid}: doc {d} listed without evidence sentence from it")
    for e in errors:
        print("ERROR:", e)
    print(f"{len(lines)} lines, {n_ans} answerable, {n_unans} unanswerable, {len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
