"""Is the extracted text text? Refuse documents that would index garbage, and documents with no sentences to cite.

Two checks on what a loader extracted, both language-neutral (Unicode categories, no word lists):

* :func:`garbage_reason`: too many characters that are not text (U+FFFD replacement characters, private-use glyphs,
  control characters, unassigned code points: a PDF font without a character map, a binary file saved as ``.md``),
  or too many "words" that are not words (runs of symbols, long letter-digit-symbol mixes such as base64).
* :func:`prose_reason`: most of the text runs on for thousands of characters without a sentence end. Every answer
  cites a sentence; such a text holds none, and one endless "sentence" (a 10 MB line of words) would cost minutes
  of segmentation, chunking and embedding for nothing a reader could be shown.

Bars, set from this machine's files: the bundled articles, SciFact's 5,183 abstracts as a corpus, and 1,170
readable HTML, Markdown, PDF and text files found on disk. Three of those are refused, none of them prose: a list of
file paths (``SOURCES.html``) and two Markdown API references made mostly of raw HTML (which the Markdown loader
shows as text). The longest run between sentence ends in the bundled articles and SciFact is 790 characters.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NOT_TEXT = 0.10
"""Largest share of non-space characters that are not text (categories Cc, Cs, Co, Cn and U+FFFD); ordinary text
has none. A PDF whose font lacks a character map comes out as replacement characters, or as glyph numbers read as
characters, control characters where its spaces were."""
MAX_NOT_WORDS = 0.5
"""Largest share of non-space characters in tokens that are not words (:func:`_is_word`)."""
RUN_ON_CHARS = 20_000
"""A stretch of text this long without a sentence end or a paragraph break is a run-on (about 3,000 words; the
longest such stretch in the bundled articles and SciFact's abstracts is 790 characters)."""
MAX_RUN_ON = 0.5
"""Largest share of a document's text that may sit in run-ons."""
MIN_CHARS = 200
"""Texts shorter than this are not judged by shares (a title and a line): too little to tell."""
SAMPLE_CHARS = 1_000_000
"""Longer texts are judged on 100 windows spread evenly over them, this many characters in all (time stays under
a second whatever the size)."""

_NOT_TEXT = frozenset(("Cc", "Cs", "Co", "Cn"))  # whitespace (str.split's) is never counted
_EDGE = "\"'“”‘’«»()[]{}<>.,;:!?¡¿…*_~`|/\\-–—"  # punctuation a word may be wrapped in
# sentence ends of many scripts: Latin, Greek question mark, Armenian, Arabic, Urdu, Devanagari, Ethiopic,
# Myanmar, CJK full stops and full-width marks, ellipsis, interrobang
_SENTENCE_END = re.compile(r"[.!?;:;։؟۔।॥።၊။。．！？…‽]|\n")
_LONGEST_WORD = 40  # longer tokens are words only in scripts written without spaces


def _is_word(token: str) -> bool:
    """A token that reads as a word or a number in any script: letters (with marks) or digits, optionally joined by
    a few inner symbols ("COVID-19", "U.S.", "5nm", "N+3", "p<0.05", "l'état", "$5.2bn"), wrapped in punctuation;
    or a short run of punctuation ("-", "•", "...", "->"). Not words: longer runs of symbols, and long strings that
    mix cased letters with digits or symbols (base64, hex, paths and URLs, markup)."""
    core = token.strip(_EDGE)
    if not core:
        return len(token) <= 3
    cats = [unicodedata.category(ch) for ch in core]
    wordish = sum(1 for c in cats if c[0] in "LMN")
    if len(core) <= _LONGEST_WORD:
        return wordish == len(core) or (wordish > 0 and wordish >= 0.5 * len(core))
    # a long token is a word only in a script written without spaces (Chinese, Japanese, Thai …): uncased letters,
    # with that script's punctuation between them
    return sum(1 for c in cats if c in ("Lo", "Mn", "Mc")) >= 0.6 * len(core) and wordish >= 0.8 * len(core)


def _sample(text: str) -> str:
    if len(text) <= SAMPLE_CHARS:
        return text
    width, step = SAMPLE_CHARS // 100, len(text) // 100
    return " ".join(text[i * step : i * step + width] for i in range(100))


def _not_text(compact: str) -> int:
    """How many characters of ``compact`` (text without whitespace) are not text. Blocks whose characters are all
    printable (the usual case) are passed over in C; the others are counted character by character."""
    bad = compact.count("\ufffd")
    for start in range(0, len(compact), 65536):
        block = compact[start : start + 65536]
        if not block.isprintable():  # format characters (soft hyphens, joiners) land here too, and are not counted
            bad += sum(1 for ch in block if not ch.isprintable() and unicodedata.category(ch) in _NOT_TEXT)
    return bad


def _not_words(tokens: list[str]) -> int:
    """How many characters are in ``tokens`` that are not words (:func:`_is_word`; plain words pass in C)."""
    return sum(len(t) for t in tokens if not (len(t) <= _LONGEST_WORD and t.strip(_EDGE).isalnum()) and not _is_word(t))


def garbage_reason(text: str) -> str | None:
    """Why ``text`` is not text, or ``None`` when it is."""
    tokens = _sample(text).split()
    compact = "".join(tokens)
    if len(compact) < MIN_CHARS:
        return None
    bad = _not_text(compact)
    if bad > MAX_NOT_TEXT * len(compact):
        return (f"not text: {bad / len(compact):.0%} of its characters are replacement characters, private-use "
                "glyphs, control characters or unassigned code points (a PDF font without a character map, or a "
                "binary file?)")
    non_words = _not_words(tokens)
    if non_words > MAX_NOT_WORDS * len(compact):
        return (f"not text: {non_words / len(compact):.0%} of its characters are in strings that are not words "
                "(runs of symbols, or letters mixed with digits and symbols as in encoded data)")
    return None


def prose_reason(text: str) -> str | None:
    """Why ``text`` holds no sentences to cite (mostly run-ons), or ``None``."""
    if len(text) < RUN_ON_CHARS:
        return None
    run_on, last = 0, 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() - last > RUN_ON_CHARS:
            run_on += match.start() - last
        last = match.end()
    if len(text) - last > RUN_ON_CHARS:
        run_on += len(text) - last
    if run_on > MAX_RUN_ON * len(text):
        return (f"no sentences: {run_on / len(text):.0%} of its {len(text):,} characters run on for more than "
                f"{RUN_ON_CHARS:,} characters without a sentence end or a paragraph break")
    return None
