"""Evaluation report: a terminal table, ``report.json`` and a self-contained ``report.md`` with SVG charts."""

from __future__ import annotations

import html
from pathlib import Path

from rag.app.evaluate import QuestionResult, results_json

ROWS = [
    ("hit@k_article", "retrieval hit@k (right article)"),
    ("hit@k_evidence", "retrieval hit@k (evidence passage)"),
    ("mrr", "MRR"),
    ("key_fact_coverage", "key-fact coverage"),
    ("citation_validity", "citation validity (quote at span)"),
    ("citation_recall", "citation recall (ALCE)"),
    ("citation_precision", "citation precision (ALCE)"),
    ("answered_answerable", "answered (answerable)"),
    ("partial_answerable", "partial (answerable)"),
    ("answered_unanswerable", "answered (unanswerable)"),
    ("partial_unanswerable", "partial (unanswerable)"),
    ("answered_precision", "answered precision (all key facts)"),
    ("coverage", "coverage (share answered)"),
    ("aurc", "risk-coverage area (lower better)"),
    ("aurc_oracle", "risk-coverage area, best possible"),
    ("short_answer_rate", "short answer given (answered)"),
    ("short_answer_key_fact", "short answer holds a key fact"),
    ("abstention_unanswerable", "abstention on unanswerable"),
    ("false_abstention_answerable", "false abstention on answerable"),
    ("latency_p50_s", "latency p50 (s)"),
    ("latency_p95_s", "latency p95 (s)"),
]


def _fmt(value: object) -> str:
    return "—" if value is None else f"{value:.3f}"


def table(summary: dict) -> str:
    """One column per split (dev, test) first, then overall and one per question type."""
    columns = [(f"[{s}]", b) for s, b in summary.get("by_split", {}).items()]
    columns += [("overall", summary["overall"])] + list(summary["by_type"].items())
    head = f"{'metric':38} " + " ".join(f"{name[:8]:>8}" for name, _ in columns)
    lines = [head, "-" * len(head)]
    for key, label in ROWS:
        lines.append(f"{label:38} " + " ".join(f"{_fmt(b[key]):>8}" for _, b in columns))
    lines.append(f"{'questions':38} " + " ".join(f"{b['questions']:>8}" for _, b in columns))
    # How far each rate may be from the rate on more questions like these: a few questions move it a lot.
    spans = [(name, b["intervals"]) for name, b in columns if "intervals" in b]
    lines += ["", f"{'95% interval (Wilson; coverage: bootstrap)':44} " + " ".join(f"{n[:11]:>11}" for n, _ in spans)]
    for key, label in ROWS:
        if key in spans[0][1]:
            lines.append(f"{label:44} " + " ".join(f"{_span(iv.get(key)):>11}" for _, iv in spans))
    return "\n".join(lines)


def _span(interval: list[float] | tuple[float, float] | None) -> str:
    return "—" if interval is None else f"{interval[0]:.2f}-{interval[1]:.2f}"


def _bars(title: str, items: list[tuple[str, float]], width: int = 560, unit: str = "") -> str:
    """A horizontal bar chart as inline SVG (no external assets)."""
    row, left = 22, 170
    top = max((v for _, v in items), default=1.0) or 1.0
    height = 30 + row * len(items)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, value) in enumerate(items):
        y = 24 + i * row
        w = (width - left - 60) * (value / top)
        parts.append(f'<text x="0" y="{y + 13}">{html.escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="16" fill="#4a7bd0"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 13}">{value:.2f}{unit}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: list[float], bins: int = 12) -> list[tuple[str, float]]:
    if not values:
        return []
    lo, hi = min(values), max(values)
    step = (hi - lo) / bins or 1e-9
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / step))] += 1
    return [(f"{(lo + i * step) * 1000:.0f}–{(lo + (i + 1) * step) * 1000:.0f} ms", float(c)) for i, c in enumerate(counts)]


def markdown(results: list[QuestionResult], summary: dict) -> str:
    types = summary["by_type"]
    splits = summary.get("by_split", {})
    out = ["# Grounding evaluation", "", f"{summary['overall']['questions']} questions.", ""]
    if splits:  # the test split is what claims rest on; dev is what was tuned on
        out += ["| metric | " + " | ".join(splits) + " |", "|---|" + "---|" * len(splits)]
        out += [f"| {label} | " + " | ".join(_fmt(b[key]) + (f" ({_span(b['intervals'][key])})" if b["intervals"].get(
            key) else "") for b in splits.values()) + " |" for key, label in ROWS]
        out += ["", "In brackets: the 95% interval of each rate (Wilson; key-fact coverage: percentile bootstrap).", ""]
    out += [
           "| metric | overall | " + " | ".join(types) + " |", "|---|---|" + "---|" * len(types)]
    for key, label in ROWS:
        out.append(f"| {label} | {_fmt(summary['overall'][key])} | " + " | ".join(_fmt(types[t][key]) for t in types) + " |")
    out += ["", _bars("Key-fact coverage by question type",
                      [(t, types[t]["key_fact_coverage"] or 0.0) for t in types if types[t]["key_fact_coverage"] is not None]),
            "", _bars("Abstention on unanswerable / answered answerable",
                      [("abstained (unanswerable)", summary["overall"]["abstention_unanswerable"] or 0.0),
                       ("answered (answerable)", 1 - (summary["overall"]["false_abstention_answerable"] or 0.0))]),
            "", _bars("Latency histogram (questions per bucket)", _histogram([r.seconds for r in results])), "",
            "## Misses", "", "| id | split | type | status | key facts | answer |", "|---|---|---|---|---|---|"]
    for r in results:
        miss = (r.answerable and (r.status != "answered" or (r.key_fact_coverage or 0) < 1)) or (
            not r.answerable and r.status == "answered")
        if miss:
            answer = html.escape(r.answer[:160]).replace("|", "\\|").replace("\n", " ")
            out.append(f"| {r.id} | {r.split} | {r.type} | {r.status} | {_fmt(r.key_fact_coverage)} | {answer} |")
    return "\n".join(out) + "\n"


def write_report(results: list[QuestionResult], summary: dict, out_dir: Path) -> tuple[str, list[Path]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "report.json", out_dir / "report.md"
    json_path.write_text(results_json(results, summary), encoding="utf-8")
    md_path.write_text(markdown(results, summary), encoding="utf-8")
    return table(summary), [json_path, md_path]
