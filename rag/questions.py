"""Question analysis: the expected answer type, named entities and focus terms of a question, and detectors that
say whether a sentence holds an answer of that type. Used by the extractive answerer to decide answerability and by
the verifier to find the numbers and names a sentence must not invent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANSWER_TYPES = ("number", "money", "percent", "date", "person", "organization", "place", "reason", "list", "fact")

_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_NUM = re.compile(r"(?<![\w.])[$€¥£]?\d[\d,]*(?:\.\d+)?(?:%|[a-zA-Z]+)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion|trillion|half|double|triple|twice)\b", re.I)
_MONEY = re.compile(r"[$€¥£]\s?\d|\b\d[\d,.]*\s?(?:-\s?)?(?:billion|million|trillion)?\s?-?(?:yuan|dollars?|euros?|RMB|USD)\b|\b(?:billion|million|trillion)\b", re.I)
_PERCENT = re.compile(r"\d\s?%|\bper ?cent\b|\bpercentage\b|\bhalf\b|\bthird\b|\bquarter of\b|\bshare\b", re.I)
_DATE = re.compile(rf"\b(?:19|20)\d\d\b|\b{_MONTHS}\b|\bQ[1-4]\b|\b(?:this|next|last) (?:year|month|week)\b|\byesterday\b|\btoday\b", re.I)
_REASON = re.compile(r"\b(?:because|due to|as a result|result of|in order to|aim(?:ed|s|ing)? (?:at|to)|driven by|amid|"
                     r"concerns?|fears?|so that|since|owing to|response to|consequence|reason|retaliat\w*|motivat\w*|"
                     r"to (?:protect|deter|prevent|curb|limit|control|restrict|ensure|secure|reduce)|rooted in|over)\b", re.I)
_CAPSEQ = re.compile(r"\b(?:[A-Z][\w&'’.-]*[A-Za-z0-9]|[A-Z])(?:\s+(?:of|and|for|de|&)?\s*[A-Z][\w&'’.-]*[A-Za-z0-9])*")
_PLACES = {
    "china", "us", "u.s.", "usa", "united states", "america", "taiwan", "japan", "korea", "south korea", "netherlands",
    "germany", "france", "italy", "spain", "uk", "britain", "united kingdom", "europe", "eu", "canada", "india",
    "russia", "beijing", "shanghai", "shenzhen", "guangdong", "hong kong", "washington", "barcelona", "harbin",
    "wuhan", "dongguan", "guanlan", "guangming", "hefei", "asia", "vietnam", "malaysia", "singapore", "israel",
    "poland", "sweden", "finland", "portugal", "belgium", "austria", "brussels", "london", "tokyo", "seoul", "taipei",
    "hsinchu", "arizona", "texas", "ohio", "california", "eindhoven", "veldhoven", "ireland", "denmark", "estonia",
}
_PERSON_CUES = re.compile(r"\b(?:said|says|told|according to|CEO|chief|founder|founded|chairman|president|minister|"
                          r"secretary|director|analyst|engineer|executive|commissioner|head of)\b", re.I)
_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "does", "did", "do", "is", "are", "was",
    "were", "will", "would", "can", "could", "has", "have", "had", "the", "a", "an", "and", "or", "of", "in", "on",
    "to", "for", "by", "with", "at", "from", "about", "its", "it", "their", "they", "this", "that", "these", "those",
    "much", "many", "long", "far", "kind", "type", "name", "named", "according", "article", "articles", "report",
    "reports", "say", "said", "says", "tell", "mention", "mentioned", "roughly", "approximately", "exactly", "also",
    "currently", "now", "actually", "be", "being", "been", "there", "any", "some", "as", "than", "so",
}
_ORG_WORDS = re.compile(r"\b(?:company|companies|firm|firms|organi[sz]ation|organi[sz]ations|institution|institutions|"
                        r"foundry|foundries|supplier|suppliers|vendor|vendors|maker|makers|manufacturer|manufacturers|"
                        r"agency|agencies|consultancy|designer|designers|lab|laboratory|university|bank|fund)\b", re.I)


_LEADING = {"in", "if", "for", "on", "as", "before", "after", "under", "since", "during", "by", "besides", "apart",
            "according", "beyond", "between", "among", "at", "from", "with", "without", "and", "but", "so", "also"}
DEMONYMS = {
    "chinese": ("china",), "japanese": ("japan",), "american": ("us", "u.s.", "america", "united states"),
    "korean": ("korea",), "south korean": ("south korea",), "european": ("europe", "eu"), "dutch": ("netherlands",),
    "german": ("germany",), "taiwanese": ("taiwan",), "western": ("west",), "canadian": ("canada",),
    "us": ("u.s.", "united states", "america"), "u.s.": ("us", "united states"), "eu": ("european union", "europe"),
    "italian": ("italy",), "french": ("france",), "british": ("uk", "britain"),
}


@dataclass(frozen=True)
class QuestionInfo:
    """What the question asks for.

    :param answer_type: one of :data:`ANSWER_TYPES`.
    :param entities: names and codes in the question ("Mate 80", "SMIC", "910C") that an answer must be about.
    :param terms: lower-cased content words (question words and function words removed).
    """

    text: str
    answer_type: str
    entities: tuple[str, ...]
    terms: tuple[str, ...]
    plural: bool = False


def answer_type(question: str) -> str:
    q = question.strip().lower()
    q = re.sub(r"^(?:and|but|so|also|then|ok|okay)\b[\s,]*", "", q)
    if re.match(r"^why\b|.*\b(?:what (?:is|was|were|are) the reasons?|for what reason|how come|what (?:motivated|drove|prompted|caused))\b", q):
        return "reason"
    if re.search(r"\b(?:what|which) (?:percentage|percent|share|proportion|fraction)\b|\bhow much of\b|\byields?\b.*\b(?:what|how)\b|\bwhat (?:is|was|are) the yields?\b", q):
        return "percent"
    if re.match(r"^when\b|.*\b(?:what|which) (?:year|date|month|day|quarter|time)\b|.*\bby when\b|.*\bwhat deadlines?\b|.*\bsince when\b", q):
        return "date"
    if re.search(r"\b(?:cost|costs|price|priced|spend|spent|invest(?:ed|ment)?|funding|fund size|worth|revenue|salary|"
                 r"fined|fine|raise|raised|valuation|market cap\w*|budget|subsid\w+|paid|pay)\b", q) and re.search(
                     r"\bhow much\b|\bwhat (?:is|was|does|did)\b|\bwhat\b.*\b(?:cost|price|budget|valuation|revenue|salary|fine)\b", q):
        return "money"
    if re.search(r"\bhow (?:many|much|fast|long|large|big|high|far|old|often|self-sufficient|quickly)\b|\bwhat (?:speed|size|capacity|"
                 r"number|density|frequency|clock|resolution|bandwidth|power|performance|rate|amount|level of)\b|"
                 r"\bwhat (?:peak|maximum|minimum|top)\b", q):
        return "number"
    if re.match(r"^(?:who|whom|whose)\b|.*\bwhich (?:person|people|executive|ceo|founder|official|analysts?|engineers?)\b", q):
        return "list" if re.search(r"\b(?:engineers|people|executives|officials|analysts)\b", q) else "person"
    if re.match(r"^where\b|.*\b(?:which|what|in what) (?:city|cities|country|countries|province|provinces|district|"
                r"districts|region|regions|location|place|state)\b", q):
        return "list" if re.search(r"\b(?:cities|countries|provinces|districts|regions)\b", q) else "place"
    if re.match(r"^(?:which|what|name)\b", q) and re.search(r"\b(?:\w+s) (?:are|were|have|did|do|does|is)\b|^(?:which|what) \w+(?:ies|s)\b|\blist\b|\bname the\b", q):
        return "list"
    if _ORG_WORDS.search(q) and re.match(r"^(?:which|what)\b", q):
        return "organization"
    return "fact"


def entities(question: str) -> tuple[str, ...]:
    """Names and alphanumeric codes in the question, longest first ("Kirin 9030", "Ascend 910C", "SMIC", "N+3")."""
    found: list[str] = []
    text = re.sub(r"[’']s\b", "", question)
    token = r"(?:[A-Z][A-Za-z0-9+&]*(?:-[A-Za-z0-9]+)*|\d+[A-Za-z]*)"
    pattern = rf"\b[A-Z][A-Za-z0-9+&]*(?:-[A-Za-z0-9]+)*(?:\s{token})*|\b\d+(?:nm|[A-Za-z]*\d[A-Za-z0-9]*)\b|\b[A-Za-z]+\d+[A-Za-z0-9]*\b"
    for match in re.finditer(pattern, text):
        words = match.group().split()
        if match.start() == len(text) - len(text.lstrip()) or text[: match.start()].rstrip().endswith(("?", ".")):
            while words and words[0].lower() in _QUESTION_WORDS | _LEADING:
                words = words[1:]
        value = " ".join(words)
        if not value or value.lower() in _QUESTION_WORDS:
            continue
        found.append(value)
    return tuple(dict.fromkeys(found))


GENERIC_WORDS = _QUESTION_WORDS | {
    "doe", "get", "go", "goes", "put", "take", "come", "make", "use", "used", "new", "one", "other", "most", "more",
    "own", "today", "expect", "expected", "plan", "planned", "need", "needs", "out", "off", "up", "down", "into",
    "like", "not", "only", "even", "though", "rather", "all", "just", "still", "after", "before", "under",
}


def plain_words(text: str) -> list[str]:
    """Lower-cased words of ``text`` (keeps "5g-a", "n+3", "910c")."""
    return re.findall(r"[a-z][a-z0-9+-]*[a-z0-9]|[a-z0-9]+", text.lower())


def analyse(question: str) -> QuestionInfo:
    words = re.findall(r"[A-Za-z0-9][\w+\-.%$]*[A-Za-z0-9%]|[A-Za-z0-9]", question)
    terms = tuple(dict.fromkeys(w.lower() for w in words if w.lower() not in _QUESTION_WORDS))
    kind = answer_type(question)
    plural = kind == "list" or bool(re.search(r"\b(?:which|what) \w+(?:ies|s)\b", question.lower()))
    return QuestionInfo(question, kind, entities(question), terms, plural)


def has_type(sentence: str, kind: str) -> bool:
    """Whether ``sentence`` contains something of the expected answer type."""
    if kind == "number":
        return bool(_NUM.search(sentence))
    if kind == "money":
        return bool(_MONEY.search(sentence))
    if kind == "percent":
        return bool(_PERCENT.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "reason":
        return bool(_REASON.search(sentence))
    if kind == "person":
        return bool(_PERSON_CUES.search(sentence)) and bool(re.search(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", sentence))
    if kind == "place":
        lower = sentence.lower()
        return any(re.search(rf"\b{re.escape(p)}\b", lower) for p in _PLACES)
    if kind == "organization":
        return len(names(sentence)) >= 1
    if kind == "list":
        return len(names(sentence)) >= 2 or sentence.count(",") >= 2
    return True


def names(text: str) -> list[str]:
    """Capitalised names in ``text`` (not counting the sentence's first word)."""
    out = []
    for m in _CAPSEQ.finditer(text):
        if m.start() == 0 and " " not in m.group():
            continue
        out.append(m.group())
    return out


def numbers(text: str) -> list[str]:
    """Numbers written with digits, normalised ("60,000" -> "60000", "$47.5" -> "47.5")."""
    return [re.sub(r"[,$€¥£]", "", m) for m in re.findall(r"(?<![\w.])[$€¥£]?\d[\d,]*(?:\.\d+)?", text)]
