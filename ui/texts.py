"""The UI's title, intro and example questions, from configuration.

Precedence: the settings ``ui_title``, ``ui_intro``, ``ui_examples`` (examples separated by ``|``) > the served
corpus folder's own ``.rag-ui.toml`` (``title``, ``intro``, ``examples``; the bundled corpus ships the chip-war
texts there) > generic text. So a user who points the app at another folder never sees chip-war text.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

from rag.core.config import Settings

CORPUS_UI_FILE = ".rag-ui.toml"
GENERIC_TITLE = "Your articles: cited answers"
GENERIC_INTRO = ("Ask anything about the indexed articles. Every sentence of an answer is cited **[n]**: click a "
                 "marker to see the exact sentence in its article.")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UiTexts:
    title: str
    intro: str
    examples: tuple[str, ...]


def _corpus_texts(corpus_dir: Path) -> dict:
    path = corpus_dir / CORPUS_UI_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # a bad file must not stop the app
        log.warning("ignoring %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def ui_texts(settings: Settings, corpus_dir: str | Path) -> UiTexts:
    own = _corpus_texts(Path(corpus_dir))
    examples = tuple(q.strip() for q in settings.ui_examples.split("|") if q.strip())
    if not examples and isinstance(own.get("examples"), list):
        examples = tuple(str(q).strip() for q in own["examples"] if str(q).strip())
    return UiTexts(
        settings.ui_title or str(own.get("title") or GENERIC_TITLE),
        settings.ui_intro or str(own.get("intro") or GENERIC_INTRO),
        examples,
    )
