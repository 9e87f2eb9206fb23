"""Loading every supported format, reporting broken files by name with a reason, and generic boilerplate removal."""

from pathlib import Path

import pytest

from rag.core.types import Document
from rag.ingest.load import load_corpus, strip_boilerplate
from tests.helpers import CORPUS, make_pdf


@pytest.fixture
def mixed_corpus(tmp_path) -> Path:
    c = tmp_path / "corpus"
    (c / "sub" / "deeper").mkdir(parents=True)
    (c / "fm.md").write_text("---\ntitle: Front Matter Title\nid: fm-doc\ndate: 2025-03-04\n---\n\n# Front Matter Title\n\n"
                             "SMIC built **5nm** chips.\n\nSecond *paragraph* here.\n")
    (c / "plain.md").write_text("# A Heading Title\n\nNo front matter in this one. It still loads.\n")
    (c / "sub" / "notes.txt").write_text("Text Title\n\nHuawei Technologies Co. Ltd. shipped phones.\n")
    (c / "sub" / "deeper" / "page.html").write_text(
        "<html><head><title>HTML Title</title><style>p{}</style></head><body><nav>Menu Home</nav>"
        "<p>ASML makes <b>EUV</b> machines.</p><script>alert(1)</script><p>Second para.</p></body></html>")
    (c / "doc.pdf").write_bytes(make_pdf("TechInsights found TSMC parts in Ascend chips."))
    # broken files
    (c / "binary.txt").write_bytes(b"\x00\x01\x02\xff" * 100)
    (c / "latin1.txt").write_bytes("Caf\xe9 au lait".encode("latin-1"))
    (c / "badfm.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (c / "empty.md").write_text("   \n")
    (c / "ignored.docx").write_bytes(b"PK")
    return c


def test_every_format_loads_and_broken_files_are_reported(mixed_corpus):
    result = load_corpus(mixed_corpus)
    docs = {d.source: d for d in result.documents}
    assert set(docs) == {"fm.md", "plain.md", "sub/notes.txt", "sub/deeper/page.html", "doc.pdf"}
    fm = docs["fm.md"]
    assert (fm.id, fm.title, fm.date) == ("fm-doc", "Front Matter Title", "2025-03-04")
    assert fm.text == "SMIC built 5nm chips.\n\nSecond paragraph here."
    assert docs["plain.md"].title == "A Heading Title"
    assert docs["sub/notes.txt"].text == "Huawei Technologies Co. Ltd. shipped phones."
    html = docs["sub/deeper/page.html"]
    assert html.title == "HTML Title" and html.text == "ASML makes EUV machines.\n\nSecond para."
    assert "TechInsights found TSMC parts" in docs["doc.pdf"].text
    assert result.skipped["binary.txt"].startswith("binary data")
    assert "not valid UTF-8" in result.skipped["latin1.txt"]
    assert "malformed YAML front matter" in result.skipped["badfm.md"]
    assert "empty" in result.skipped["empty.md"]
    assert "ignored.docx" not in result.skipped  # unsupported types are not corpus files


def test_symlink_outside_and_duplicates_are_skipped(tmp_path):
    c = tmp_path / "corpus"
    c.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret text that must not be indexed.")
    (c / "link.txt").symlink_to(outside)
    (c / "a.txt").write_text("Same content in two files.")
    (c / "b.txt").write_text("Same content in two files.")
    result = load_corpus(c)
    assert [d.source for d in result.documents] == ["a.txt"]
    assert result.skipped == {"link.txt": "symlink pointing outside the corpus folder", "b.txt": "duplicate of a.txt"}


def test_boilerplate_repeated_across_documents_is_stripped_generically():
    footer = "Subscribe to our newsletter for more news."
    docs = [Document(f"d{i}", f"T{i}", f"d{i}.md", f"Unique paragraph number {i}.\n\n{footer}") for i in range(5)]
    cleaned, removed = strip_boilerplate(docs)
    assert removed == 5
    assert all(footer not in d.text and d.text.startswith("Unique") for d in cleaned)


def test_bundled_corpus_has_no_footer_and_ten_documents():
    result = load_corpus(CORPUS)
    assert len(result.documents) == 10 and not result.skipped
    assert all("TokenRing" not in d.text for d in result.documents)


def test_any_parser_failure_skips_only_that_file_with_its_reason(tmp_path):
    """Real damaged files whose parser raises something other than ValueError/OSError: pypdf raises
    NotImplementedError for a stream filter or an encryption version it does not know. Each is skipped with its
    reason; the build goes on. (A malformed ``<![`` section, which BeautifulSoup rejected, is read past by lxml.)"""
    from rag.encoders.hashing import HashEmbedder
    from rag.index.build import build_index

    c = tmp_path / "corpus"
    c.mkdir()
    pdf = make_pdf("Gallium exports were restricted in 2023.")
    (c / "unknown-filter.pdf").write_bytes(pdf.replace(b"<< /Length", b"<< /Filter /JBIG3Decode /Length"))
    (c / "encrypted-v9.pdf").write_bytes(pdf.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt << /Filter /Standard /V 9 /R 9 >>"))
    (c / "marked-section.html").write_text("<html><body><p>Export rules.</p><![msvml]><p>More.</p></body></html>")
    (c / "odd-title.pdf").write_bytes(pdf.replace(b"/Root 1 0 R", b"/Root 1 0 R /Info << /Title << /A 1 >> >>"))
    (c / "good.txt").write_text("Good Doc\n\nA normal document about chips.")
    result = load_corpus(c)
    assert {d.source for d in result.documents} == {"good.txt", "odd-title.pdf", "marked-section.html"}
    assert "NotImplementedError" in result.skipped["unknown-filter.pdf"] and "JBIG3Decode" in result.skipped["unknown-filter.pdf"]
    assert "NotImplementedError" in result.skipped["encrypted-v9.pdf"]
    marked = next(d for d in result.documents if d.source == "marked-section.html")
    assert (marked.title, marked.text) == ("Export rules.", "More.")
    odd = next(d for d in result.documents if d.source == "odd-title.pdf")
    assert odd.title == "Gallium exports were restricted in 2023."  # the dictionary is not taken as a title
    report = build_index(c, tmp_path / "ix", embedder=HashEmbedder())
    assert report.added == 3 and len(report.skipped) == 2
    assert any(s.startswith("unknown-filter.pdf: could not be parsed") for s in report.skipped)


def test_odd_file_names_load_and_names_that_would_forge_reports_are_refused(tmp_path):
    import os

    c = tmp_path / "corpus"
    c.mkdir()
    good = "Gallium Note\n\nChina restricted exports of gallium in 2023, officials said."
    odd = ["  spaced name .txt", "-leading-dash.txt", "ünïcödé – 中文.txt", "\u202egpj.txt", "a" * 250 + ".txt"]
    for i, name in enumerate(odd):
        (c / name).write_text(good.replace("2023", str(2000 + i)), encoding="utf-8")
    (c / "line\nbreak.txt").write_text(good.replace("2023", "1999"))
    fd = os.open(os.fsencode(c) + b"/latin-\xe9.txt", os.O_WRONLY | os.O_CREAT)  # a name that is not UTF-8
    os.write(fd, good.replace("2023", "1998").encode())
    os.close(fd)
    result = load_corpus(c)
    assert sorted(d.source for d in result.documents) == sorted(odd)
    assert result.skipped == {
        "line\\nbreak.txt": "the file name holds control characters (such as a line break); rename the file",
        "latin-\\xe9.txt": "the file name is not valid UTF-8; rename the file",
    }


def test_a_file_over_the_size_limit_is_never_read(tmp_path):
    from rag.index.snapshot import corpus_hashes
    from rag.ingest.load import MAX_FILE_BYTES

    c = tmp_path / "corpus"
    c.mkdir()
    with open(c / "huge.txt", "wb") as fh:  # sparse: 4 GiB that take no disk space and would take long to read
        fh.truncate(4 * 2**30)
    (c / "good.txt").write_text("Good Doc\n\nA normal document about chips.")
    result = load_corpus(c)
    assert result.skipped == {"huge.txt": f"file too large (4096.0 MB, limit {MAX_FILE_BYTES // 2**20} MB)"}
    assert corpus_hashes(c)["huge.txt"].startswith("too-large:4294967296:")
