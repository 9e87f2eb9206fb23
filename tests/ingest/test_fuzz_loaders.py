"""Fuzzing the loaders, each format, through the path every build and upload takes (rag.ingest.load.read_files: a
worker process under the parse limits). No input may hang (reach the time limit: inputs are a few KB), crash a
worker, or raise; each file is a document with text or a skip with a reason, and a good file beside it loads.

Budget: 4 formats x 500 examples a run (about 12 s here), on top of the inputs kept under tests/fuzz-corpus/loaders/
(replayed every run, and where a new finding goes). Marked slow: `make test` (CI) runs it, `make test-fast` does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag.ingest.load import iter_corpus_files, read_files
from rag.ingest.workers import Limits
from tests.helpers import ROOT, make_pdf, scaled

KEPT = ROOT / "tests" / "fuzz-corpus" / "loaders"
LIMITS = Limits(seconds=10, memory_mb=512, workers=1)
FUZZ = settings(max_examples=scaled(500), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
GOOD = "Good Doc\n\nA normal document about chips, with a sentence that ends.\n"

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=1500)
MARKUP = st.sampled_from(["#", "##", "*", "**", "_", "`", "```", "[", "](", ")", "!", ">", "- ", "1. ", "|", "---",
                          "\n", "\n\n", "<", ">", "&", "&amp;", "&#", ";", "\\", "<div>", "</div>", "<!--", "-->",
                          "---\ntitle: x\n---\n", "    ", "\t", "[x]: http://a", "<https://a>"])
ATTRS = st.sampled_from(["", " a=b", ' datetime="2024-01-02"', " x", " =", ' property="article:published_time"'])
TAGS = st.sampled_from(["p", "div", "span", "b", "script", "style", "head", "body", "html", "title", "h1", "li",
                        "ul", "table", "td", "tr", "br", "nav", "svg", "template", "meta", "time", "iframe"])


@st.composite
def html(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(0, 150))):
        kind = draw(st.integers(0, 7))
        tag = draw(TAGS)
        if kind == 0:
            parts.append(f"<{tag}{draw(ATTRS)}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        elif kind == 2:
            parts.append(draw(st.sampled_from(["&amp;", "&#x41;", "&#0;", "&#xD800;", "&bogus;", "&", "&#99999999;",
                                               "<!--", "-->", "<![CDATA[", "]]>", "<!DOCTYPE html>", "<?xml ?>",
                                               "<!ENTITY", "<", ">", "\x00", "<meta name=date content=2020-02-02>"])))
        else:
            parts.append(draw(TEXT))
    return "".join(parts)


@st.composite
def pdf(draw) -> bytes:
    """A real PDF, then damaged: bytes flipped, cut, or inserted."""
    data = bytearray(make_pdf(draw(st.text(alphabet="abc ()\\", max_size=30))))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.integers(0, 2))
        if action == 0 and data:
            data[at] = draw(st.integers(0, 255))
        elif action == 1:
            del data[at : at + draw(st.integers(1, 40))]
        else:
            data[at:at] = draw(st.binary(max_size=40))
    return bytes(data)


FORMATS = {
    ".md": st.lists(st.one_of(MARKUP, TEXT), max_size=200).map("".join).map(str.encode),
    ".txt": st.one_of(TEXT.map(str.encode), st.binary(max_size=600),
                      st.tuples(st.sampled_from(["---\n", "---\ntitle: [\n", "---\nid: 5\ntags: {a: 1}\n"]), TEXT)
                      .map(lambda t: ("".join(t) + "\n---\nbody text.\n").encode())),
    ".html": html().map(lambda h: h.encode("utf-8", "surrogatepass")),
    ".pdf": pdf(),
}


def _check(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    (folder / "good.txt").write_text(GOOD)
    paths = list(iter_corpus_files(folder))
    reads = dict(zip((p.name for p in paths), read_files(paths, folder, LIMITS)))
    assert reads["good.txt"].document is not None
    got = reads[name]
    if got.document is None:
        assert got.reason and "time limit" not in got.reason and "crashed" not in got.reason, got.reason
        assert "memory limit" not in got.reason, got.reason  # a few KB of input
    else:
        assert got.document.text.strip() and isinstance(got.document.title, str) and got.digest


@pytest.mark.slow
@pytest.mark.parametrize("suffix", sorted(FORMATS))
@FUZZ
@given(data=st.data())
def test_fuzz_each_loader(suffix, data, tmp_path_factory):
    _check(tmp_path_factory.mktemp("fuzz"), f"f{suffix}", data.draw(FORMATS[suffix]))


@pytest.mark.parametrize("kept", sorted(KEPT.glob("*")), ids=lambda p: p.name)
def test_kept_inputs_load_or_are_skipped_with_a_reason(kept, tmp_path):
    """The inputs the fuzzer found interesting, replayed every run (and in make test-fast)."""
    _check(tmp_path / "corpus", kept.name, kept.read_bytes())
