"""Question analysis: the expected answer type, names and focus terms of a question, and a check that says whether
a sentence holds an answer of that type. Answer types come from generic English question words ("when", "how many",
"which companies"); whether a sentence holds a date, an amount, a percentage, a person, a place or an organisation is
decided by spaCy's named-entity recogniser (:mod:`rag.text.nlp`), not by word lists, so it works on any corpus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import nlp
from rag.text.dates import states_year
from rag.text.labels import ANSWER_TYPE_LABELS, NAME_LABELS
from rag.text.numbers import PERCENT_SIGN, number_values, states_money
from rag.text.words import AUXILIARIES, LEADING_WORDS, QUESTION_WORDS, capitalised_names, fold, question_tokens

ANSWER_TYPES = ("number", "money", "percent", "date", "person", "organization", "place", "reason", "list", "fact")

# Generic English causal connectives: a "why" question needs a sentence that gives a cause or a purpose.
_REASON = re.compile(r"\b(?:because|due to|as a result|result of|in order to|aim(?:ed|s|ing)? (?:at|to)|driven by|amid|"
                     r"so that|since|owing to|in response to|response to|consequence|reasons?|caused? by|led to|"
                     r"motivat\w*|prompted|to (?:protect|deter|prevent|avoid|ensure|secure|reduce|limit|control)|"
                     r"rooted in|thanks to|paramount for|necessitated|fear\w*|concerns?)\b", re.I)
_ORG_WORDS = re.compile(r"\b(?:company|companies|firm|firms|organi[sz]ations?|institutions?|supplier|suppliers|vendors?|"
                        r"makers?|manufacturers?|agency|agencies|consultancy|publication|outlet|lab|laboratory|"
                        r"university|bank|fund|consortium|subsidiary)\b", re.I)
_PLACE_WORDS = r"(?:city|cities|country|countries|province|provinces|district|districts|region|regions|location|place|state|town)"
_WH_DETERMINERS = {"which", "what", "whose"}
_DEMONYM_END = re.compile(r"(?:ese|ian|an|ish|i|ch)$")
_DEMONYM_SUFFIXES = {"", "n", "an", "ian", "ese", "ish", "i"}


def demonym_of(word: str, name: str) -> bool:
    """"japanese" ~ "japan", "canadian" ~ "canada", "european" ~ "europe": an adjective of nationality matches its
    place when it shares a stem of at least four letters and ends like a demonym (English morphology, no list)."""
    word, name = word.lower(), name.lower()
    if not _DEMONYM_END.search(word) or len(name) < 4:
        return False
    stem = 0
    for a, b in zip(word, name):
        if a != b:
            break
        stem += 1
    return stem >= 4 and stem >= len(name) - 2 and word[stem:] in _DEMONYM_SUFFIXES

@dataclass(frozen=True)
class QuestionInfo:
    """What the question asks for.

    :param answer_type: one of :data:`ANSWER_TYPES`.
    :param entities: names and codes in the question ("Mate 80", "SMIC", "910C") that an answer must be about.
    :param terms: lower-cased content words (question words and function words removed).
    :param items: for a list question, the kind its items must be when its plural noun says so ("which countries":
        ``place``, "which vendors": ``organization``, "which executives": ``person``), else ``None``.
    """

    text: str
    answer_type: str
    entities: tuple[str, ...]
    terms: tuple[str, ...]
    plural: bool = False
    items: str | None = None


def _plural_noun(word: str) -> bool:
    """A regular English plural ("companies", "vendors"), not a word that merely ends in s ("does", "was", "famous",
    "status", "analysis", "process")."""
    return (word not in QUESTION_WORDS and word not in AUXILIARIES
            and bool(re.fullmatch(r"[a-z][a-z-]*(?:ies|[^sui'’]s)", word)))


def _wh_plural_noun(q: str, modifiers: int = 1) -> str | None:
    """The plural noun of the noun phrase after a leading which/what ("which companies", "what Chinese firms"),
    looking at most ``modifiers`` words past the first; an auxiliary ends the phrase ("what does the … cost")."""
    m = re.search(r"\b(?:which|what)((?:\s+[\w'’-]+){1,%d})" % (modifiers + 1), q)
    for word in (m.group(1).split() if m else []):
        word = re.sub(r"[’']s?$", "", word)  # possessives: "which suppliers' parts"
        if word in AUXILIARIES:
            return None
        if _plural_noun(word):
            return word
    return None


def _wh_plural(q: str, modifiers: int = 1) -> bool:
    """Whether the noun phrase after a leading which/what is plural (:func:`_wh_plural_noun`)."""
    return _wh_plural_noun(q, modifiers) is not None


def list_items(question: str) -> str | None:
    """The kind of item a list question asks for, from its plural noun: ``place`` for a place word ("which European
    countries", "list the cities"), else ``None`` (lists of organisations or people were measured with the same check
    and kept the generic one: chip-war dev coverage 0.878 -> 0.861)."""
    q = question.strip().lower()
    listed = re.search(r"\b(?:list|name) (?:the |all )?(?:[\w-]+ )?([a-z-]+s)\b", q)
    noun = _wh_plural_noun(q) or (listed.group(1) if listed else None)
    return "place" if noun is not None and re.fullmatch(_PLACE_WORDS, noun) else None


def answer_type(question: str) -> str:
    """The kind of answer the question asks for, from its question words (generic English, no corpus terms)."""
    q = question.strip().lower()
    q = re.sub(r"^(?:and|but|so|also|then|ok|okay)\b[\s,]*", "", q)
    if re.match(r"^why\b|.*\b(?:what (?:is|was|were|are) the (?:reasons?|causes?|motivations?)|for what reason|how come|"
                r"what (?:motivated|drove|prompted|caused|led)|why)\b", q):
        return "reason"
    if re.search(r"\b(?:what|which) (?:percentage|percent|share|proportion|fraction|portion)\b|\bhow much of\b|"
                 r"\bwhat cut\b", q):
        return "percent"
    if re.search(r"\bhow much\b.*\b(?:rise|rose|risen|fall|fell|fallen|increased?|grow|grew|grown|drop(?:ped)?|"
                 r"declined?|jump(?:ed)?|climb(?:ed)?|shr[iau]nk|change[ds]?)\b", q):
        return "number"  # a change ("How much did fuel costs rise?"): a number or a percentage, not an amount of money
    if re.match(r"^when\b|.*\b(?:what|which) (?:year|date|month|day|quarter|time|week)\b|.*\b(?:by|since|until) when\b|"
                r".*\bin (?:what|which) (?:year|month|quarter)\b|.*\bhow long ago\b", q):
        return "date"
    if re.search(r"\bhow much (?:money|funding|cash|capital)\b|\bhow much (?:does|did|do|is|was|will|would|could)\b.*\b(?:"
                 r"cost|costs|price|priced|spend|spent|pay|paid|raise|raised|earn|earned|lose|lost|invest\w*|worth|"
                 r"fined?)\b|\bwhat (?:is|was|are|were) (?:(?:the|its|their|his|her|[\w.&-]+['’]s?) ){1,2}(?:[\w-]+ )?"
                 r"(?:price|cost|budget|valuation|revenue|salary|profit)s?\b", q):
        return "money"
    if re.search(r"\bhow (?:many|much|fast|long|large|big|high|far|old|often|quickly|dense|small|low|wide)\b|"
                 r"\bwhat (?:speed|size|capacity|number|density|frequency|resolution|bandwidth|rate|amount|level|"
                 r"value)s?\b|\bby how much\b", q):
        return "number"
    if re.match(r"^(?:who|whom|whose)\b|.*\b(?:which|what) (?:person|people|executive|official|analyst|engineer)s?\b", q):
        return "list" if re.search(r"\b(?:people|executives|officials|analysts|engineers)\b", q) else "person"
    if re.match(rf"^where\b|.*\b(?:which|what|in what|in which) {_PLACE_WORDS}\b", q):
        return "list" if re.search(r"\b(?:cities|countries|provinces|districts|regions)\b", q) else "place"
    if re.match(r"^(?:which|what|name|list)\b", q) and (_wh_plural(q) or re.search(r"\blist\b|\bname the\b", q)):
        return "list"
    if _ORG_WORDS.search(q) and re.match(r"^(?:which|what|whose)\b", q):
        return "organization"
    return "fact"


def entities(question: str) -> tuple[str, ...]:
    """Names and alphanumeric codes in the question, longest first ("Kirin 9030", "Ascend 910C", "SMIC", "N+3"),
    accents folded ("Beyoncé" -> "Beyonce"; see :func:`fold`)."""
    found: list[str] = []
    text = re.sub(r"[’']s\b", "", fold(question))
    # letters beyond ASCII count ("Grzymała"; accents are folded above, but "ł" or "ø" have no plain form)
    rest = r"(?:[^\W_]|[+&])*(?:-[^\W_]+)*"
    token = rf"(?:[A-Z]{rest}|\d+[^\W\d_]*)"
    pattern = rf"\b[A-Z]{rest}(?:\s{token})*|\b\d+(?:nm|[A-Za-z]*\d[A-Za-z0-9]*)\b|\b[A-Za-z]+\d+[A-Za-z0-9]*\b"
    for match in re.finditer(pattern, text):
        words = match.group().split()
        initial = match.start() == len(text) - len(text.lstrip()) or text[: match.start()].rstrip().endswith(("?", "."))
        stripped: list[str] = []
        if initial:
            while words and words[0].lower() in QUESTION_WORDS | LEADING_WORDS:
                stripped.append(words.pop(0).lower())
        wh = (stripped[-1:] or [""])[0]
        if not stripped and (m := re.search(r"\b(which|what|whose)\s+$", text[: match.start()], re.I)):
            wh = m.group(1).lower()
        # "Which Acme GPU is …", "Which GPU did …": the phrase's head noun names the kind of answer, not a given.
        # ("What Acme has done": a single word after "what" may be the subject, so it stays.)
        if wh in _WH_DETERMINERS and (len(words) >= 2 or wh == "which") \
                and re.match(rf"\s+(?:{'|'.join(AUXILIARIES)})\b", text[match.end():], re.I):
            words = words[:-1]
        value = " ".join(words)
        if not value or value.lower() in QUESTION_WORDS:
            continue
        if initial and value == match.group() and value.istitle() and " " not in value \
                and nlp.first_word_is_common(text[match.start():]):
            continue  # "Terrorist activity in what city…": capitalised because it starts the sentence, not a name
        found.append(value)
    return tuple(dict.fromkeys(found))


def analyse(question: str) -> QuestionInfo:
    terms = tuple(dict.fromkeys(w.lower() for w in question_tokens(question) if w.lower() not in QUESTION_WORDS))
    kind = answer_type(question)
    plural = kind == "list" or _wh_plural(question.lower(), modifiers=0)
    items = list_items(question) if kind == "list" else None
    return QuestionInfo(question, kind, entities(question), terms, plural, items)


def has_type(sentence: str, kind: str, given: tuple[str, ...] = (), items: str | None = None) -> bool:
    """Whether ``sentence`` contains something of the expected answer type (spaCy entities; digits for numbers).
    An entity that is (part of) a name in ``given``, the question's own names, does not count: "Who is Christophe
    Fouquet?" is not answered by his name, though "Which museum keeps Poland's relics?" is by "Museum of Poland".
    A list whose ``items`` are of a kind (:func:`list_items`) needs an entity of that kind: "Which European countries
    …?" is not answered by sentences about the European Union that name no country."""
    if kind in ("fact",):
        return True
    if kind == "reason":
        return bool(_REASON.search(sentence))
    asked = [fold(g).lower() for g in given]
    found = {e.label for e in nlp.entities(sentence)
             if not any(fold(e.text).lower() in g for g in asked)}
    if kind == "list" and items is not None:
        return bool(found & ANSWER_TYPE_LABELS[items])
    if kind == "list":
        return len(capitalised_names(sentence)) >= 2 or sentence.count(",") >= 2 or len(found & NAME_LABELS) >= 1 and " and " in sentence
    if found & ANSWER_TYPE_LABELS[kind]:
        return True
    if kind == "money" and states_money(sentence):  # a number in any currency is a number already (below)
        return True
    if kind == "number":  # "5nm", "2.75 GHz", "1,131": spaCy leaves some measurements unlabelled
        return bool(number_values(sentence, words=False))
    if kind == "percent":
        return PERCENT_SIGN in sentence
    if kind == "date":
        return states_year(sentence)
    return False

