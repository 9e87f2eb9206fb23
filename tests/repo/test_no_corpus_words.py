"""The answering logic must work on any corpus: no name from the bundled articles may appear in rag/ code.

Docstrings and comments may use the articles as examples; string constants (where word lists and regexes live) may
not. Month and weekday names are generic English (date parsing), not corpus names.
"""

import ast
import re
from pathlib import Path

from tests.helpers import CORPUS, ROOT

KNOWN = {"guanlan", "veldhoven", "harbin", "eindhoven", "dongguan", "guangming", "techinsights", "kirin", "huawei",
         "smic", "ascend", "maleoon", "swaysure", "sicarrier", "hsinchu"}


# Generic words the capitalisation heuristic also catches (the articles happen to capitalise them, e.g. "Entity List"),
# which rag/ uses in messages about its own code ("PyTorch", "finite number", "entity"): not names from the articles.
GENERIC = {"entity", "finite", "pytorch"}

CALENDAR = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
            "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def corpus_names() -> set[str]:
    """Words that the articles capitalise in mid-sentence (after a lower-case word) and never write in lower case:
    proper names, four letters or more. Headings and front matter are skipped (title case)."""
    lines = [line for p in CORPUS.glob("*.md") for line in p.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith(("#", "---", "title:", "id:", "tag:", "date:", "source:"))]
    text = " ".join(lines)
    lower = {w for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", text) if w.islower()}
    capitalised = re.findall(r"\b[a-z][a-z]*,? ([A-Z][A-Za-z0-9]{3,})", text)
    return {w.lower() for w in capitalised if w.lower() not in lower} - CALENDAR - GENERIC


def code_words(path: Path) -> set[str]:
    """Words in the string constants (not docstrings) of a Python file: where word lists and regexes live."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
                  and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            out |= {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", node.value)}
    return out


def test_no_corpus_name_in_rag_logic():
    names = corpus_names() | KNOWN
    assert {"guanlan", "huawei"} <= names
    found = {}
    for path in sorted((ROOT / "rag").rglob("*.py")):
        hits = code_words(path) & names
        if hits:
            found[str(path.relative_to(ROOT))] = sorted(hits)
    assert found == {}


def test_the_check_would_catch_a_word_list(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('"""Docstring naming Huawei is fine."""\nPLACES = {"guanlan", "beijing"}\n')
    assert {"guanlan"} <= code_words(bad) and "huawei" not in code_words(bad)
