"""Role checks: a claim must state each of its values, times and directions *in the role* its evidence gives them.

The verifier (:mod:`rag.trust.verify`) already finds every number and name of a claim in its evidence. A claim can
still change a fact with words that all occur there: two figures exchanged ("single-core 4,277, multi-core 1,131"),
a value bound to another noun ("efficiency cores at 2.27 GHz" where 2.27 GHz is the performance cores'), a bound
reversed ("under 30%" for "less than 30%" is fine, "over 30%" is not), a direction reversed ("halve" for "double",
"less" for "higher"), a comparison turned round ("TSMC's costs are higher than SMIC's"), a period of a year changed
("late 2025" for "early 2025", "Q1" for "Q3"). :func:`role_conflict` says which, reading plain tokens (no parse):

* **Numbers and their words.** Each sentence is cut into segments at commas, semicolons, brackets and clause words
  ("and", "but", "with", "while", ...); a number owns the content words of its segment. A word is *distinctive* for a
  value when the evidence gives it to that value and to no other. A claim number with none of its own value's
  distinctive words in its segment, but with another value's (weighted by closeness, at least :data:`MIN_OTHER`), is
  bound to the wrong thing. Numbers glued to letters ("5G", "7nm") name kinds of things and own no words; a unit
  against its number ("250W", :data:`UNITS`) does not make it one.
* **Bounds.** The words before a number say whether it is a floor ("at least", "over", "more than", "as low as") or
  a ceiling ("at most", "under", "less than", "up to", "as many as"); the claim's must not be the opposite of the
  evidence's for the same value.
* **Directions.** Words of increase and of decrease (generic English: :data:`UP`, :data:`DOWN`) are matched to the
  evidence's by what stands next to them (a shared value or content word); a claim that says the opposite of every
  matched evidence word reverses it. A comparison ("A is higher than B", "A outnumbers B") read from the other side
  ("B is lower than A") has its direction turned round before the two are compared, and one with the same direction
  but its two sides exchanged ("B is higher than A") is a reversal too.
* **Exchanges.** What goes and what comes in "replace X with Y" or "from X to Y" must not change sides.
* **Periods.** Quarters ("Q3", "third quarter"), halves ("H1", "first half") and the part of a year ("early",
  "mid", "late"/"end of" 2025) must match the evidence's for the same year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.text.numbers import number_spans, same_value
from rag.text.words import CLAIM_STOP_WORDS, stem

# --- tokens --------------------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?|[,;:()\[\]–—]|[.!?](?=\s|$)")
UNITS = frozenset("w kw mw gw wh kwh mwh gwh twh hz khz mhz ghz thz bps kbps mbps gbps tbps ms ns us mg kg km mm cm "
                  "kb mb gb tb pb x".split())
"""Units written against their number ("250W", "2.75GHz", "2x"): such a number is an amount. Other letters against a
number make it a name of a kind of thing ("5G", "7nm", "910C")."""
_LETTERS = re.compile(r"[^\W\d_]*")
_BREAK_WORDS = frozenset("and but while whereas although though with which who whom where".split())
_BOUND_WORDS = frozenset("least most over under more less than fewer above below up to as many much high low "
                         "no nearly almost about around approximately roughly some just within exceeding beyond "
                         "upwards upward of minimum maximum".split())


@dataclass(frozen=True)
class Tok:
    text: str
    """Lower-cased, possessive "'s" dropped."""
    i: int
    value: float | None = None
    """The number a number token states (with its scale word, "1.6 million"); ``None`` for a word."""
    glued: bool = False
    """A number written against letters ("5G", "7nm", "N+3"): it names a kind of thing."""


@lru_cache(maxsize=8192)
def tokens(text: str) -> list[Tok]:
    """Words, numbers and clause punctuation of ``text``; a number with its scale word is one token ("1.6 million")."""
    text = text.replace("’", "'")
    spans = number_spans(text)
    out: list[Tok] = []
    pos = 0
    for start, end, value in spans + [(len(text), len(text), None)]:
        for m in _TOKEN.finditer(text, pos, start):
            low = m.group().lower()
            out.append(Tok(low[:-2] if low.endswith("'s") else low, len(out)))
        if value is None:
            break
        before, unit = text[start - 1:start], (u.group().lower() if (u := _LETTERS.match(text, end)) else "")
        glued = bool(before) and (before.isalpha() or before == "+") or bool(unit) and unit not in UNITS
        out.append(Tok(text[start:end].lower(), len(out), value, glued))
        pos = end
    return out


def _is_content(t: Tok) -> bool:
    return t.value is None and t.text not in CLAIM_STOP_WORDS and t.text not in _BOUND_WORDS and len(t.text) > 1 \
        and t.text[0].isalpha()


def _is_break(t: Tok) -> bool:
    return t.text in _BREAK_WORDS or not (t.text[0].isalnum())


# --- numbers and the words they own --------------------------------------------------------------------------------


def _segments(toks: list[Tok]) -> list[list[Tok]]:
    segs: list[list[Tok]] = [[]]
    for t in toks:
        if _is_break(t) and t.value is None:
            if segs[-1]:
                segs.append([])
            continue
        segs[-1].append(t)
    return [s for s in segs if s]


def _distinctive(toks: list[Tok]) -> list[tuple[float, set[str]]]:
    """Each value stated by a free-standing number, with the stems of the content words that stand in a segment with
    it and in no segment that states only other values."""
    segs = []
    for seg in _segments(toks):
        values = [t.value for t in seg if t.value is not None and not t.glued]
        if values:
            segs.append((values, {stem(t.text) for t in seg if _is_content(t) or t.glued}))
    out: list[tuple[float, set[str]]] = []
    for values, _ in segs:
        for v in values:
            if any(same_value(u, v) for u, _ in out):
                continue
            mine = set().union(*(w for vs, w in segs if any(same_value(u, v) for u in vs)))
            others = set().union(*(w for vs, w in segs if not any(same_value(u, v) for u in vs)))
            out.append((v, mine - others))
    return out


def _claim_context(toks: list[Tok], n: Tok) -> dict[str, float]:
    """Stems of the content words in ``n``'s segment of the claim, weighted by closeness (1 / (1 + distance / 3))."""
    seg = next(s for s in _segments(toks) if n in s)
    weights: dict[str, float] = {}
    for t in seg:
        if t is n or not (_is_content(t) or t.glued):
            continue
        w = 1.0 / (1 + abs(t.i - n.i) / 3)
        s = stem(t.text)
        weights[s] = max(weights.get(s, 0.0), w)
    return weights


MIN_OTHER = 0.5
"""How well (summed closeness) another value's words must match the neighbours of a claim number that none of its own
value's words stand next to, for the number to be read as bound to the wrong thing."""


def misbound_numbers(claim: str, evidence: str) -> list[str]:
    """Numbers of ``claim`` that the evidence states, but with another value's words ("4,277 single-core")."""
    c_toks, e_toks = tokens(claim), tokens(evidence)
    distinct = _distinctive(e_toks)
    if len(distinct) < 2:
        return []
    out = []
    for n in c_toks:
        if n.value is None or n.glued:
            continue
        mine = [ws for v, ws in distinct if same_value(v, n.value)]
        if not mine:
            continue  # a value the evidence lacks is reported by missing_facts
        context = _claim_context(c_toks, n)
        own = sum(context.get(s, 0.0) for s in mine[0])
        other = max(sum(context.get(s, 0.0) for s in ws) for v, ws in distinct if not same_value(v, n.value))
        if own == 0 and other >= MIN_OTHER:
            out.append(n.text)
    return out


# --- bounds --------------------------------------------------------------------------------------------------------

FLOOR = ("at least", "over", "more than", "above", "as low as", "no less than", "no fewer than", "in excess of",
         "upwards of", "exceeding", "greater than", "a minimum of", "beyond", "not less than")
"""Words before a number that make it a floor: the quantity is at or above it (generic English)."""
CEILING = ("at most", "under", "less than", "fewer than", "below", "up to", "as many as", "as much as", "as high as",
           "no more than", "not more than", "within", "a maximum of", "not exceeding", "just under")
"""Words before a number that make it a ceiling: the quantity is at or below it."""
_BOUNDS = sorted([(tuple(p.split()), +1) for p in FLOOR] + [(tuple(p.split()), -1) for p in CEILING],
                 key=lambda b: -len(b[0]))


def _bound(toks: list[Tok], n: Tok) -> int:
    """+1 when ``n`` is a floor, -1 a ceiling, 0 neither (the words right before it, currency signs skipped)."""
    before = [t.text for t in toks[max(0, n.i - 4):n.i] if t.text not in ("the", "a", "an", "estimated", "an")]
    for words, sign in _BOUNDS:
        if tuple(before[-len(words):]) == words:
            return sign
    return 0


def reversed_bounds(claim: str, evidence: str) -> list[str]:
    """Numbers that the claim bounds the other way round ("over 30%" where the evidence says "less than 30%")."""
    c_toks, e_toks = tokens(claim), tokens(evidence)
    out = []
    for n in c_toks:
        if n.value is None:
            continue
        mine = _bound(c_toks, n)
        theirs = {_bound(e_toks, e) for e in e_toks if e.value is not None and same_value(e.value, n.value)}
        if mine and -mine in theirs and mine not in theirs:
            out.append(" ".join(t.text for t in c_toks[max(0, n.i - 2):n.i + 1]))
    return out


# --- directions ----------------------------------------------------------------------------------------------------

UP = frozenset(stem(w) for w in (
    "increase increased increases increasing rise rises rose risen rising grow grows grew grown growing growth gain "
    "gains gained boost boosts boosted raise raises raised expand expands expanded expansion double doubles doubled "
    "doubling triple tripled tripling quadruple higher highest more greater larger bigger up exceed exceeds exceeded "
    "surpass surpassed outnumber outnumbers improve improves improved improvement improvements better faster ahead "
    "accelerate accelerated strengthen strengthens strengthened climb climbed jump jumped soar soared surge surged "
    "lift lifted add added upgrade upgraded outperform outperforms outpace outpaced overtake overtook outstrip "
    "stronger longer costlier enhance enhances enhanced enhancing maximum gaining leap promote promotes promoted "
    "promoting activate activates activated activating induce induces induced inducing stimulate stimulates "
    "stimulated upregulate upregulates upregulated positive positively benefit benefits").split())
"""Generic English words of increase (stemmed)."""
DOWN = frozenset(stem(w) for w in (
    "decrease decreased decreases decreasing fall falls fell fallen falling drop drops dropped dropping decline "
    "declines declined declining shrink shrinks shrank shrunk cut cuts cutting reduce reduces reduced reducing "
    "reduction lower lowest less fewer smaller halve halved halves halving down trail trails trailed lag lags lagged "
    "lagging behind worsen worsened worse slower slow slowed slowing weaken weakens weakened dip dipped plunge "
    "plunged slash slashed shorter short shortfall cheaper weaker minimum losing loss losses lose lost diminish "
    "diminished scale inhibit inhibits inhibited inhibiting suppress suppresses suppressed suppressing impair "
    "impairs impaired attenuate attenuates attenuated block blocks blocked blocking downregulate downregulates "
    "downregulated negative negatively harm harms").split())
"""Generic English words of decrease (stemmed); "scale" counts only in "scale back/down" (see :func:`_direction`)."""
FALLBACK = True
"""A claim's word of direction with nothing beside it that the evidence's words of direction share is a reversal
when every one of those goes the other way ("Antidepressants increase ..." against "... significantly reduced ...").
On SciFact train rationales it rejects 0.015 more contradicted claims and 0.013 more supported ones; the paraphrase
battery's dev half is unchanged by it."""
COMPARATIVE_VERBS = frozenset(stem(w) for w in "outnumber exceed surpass outperform trail lag beat outpace overtake "
                                              "outstrip rival".split())
"""Verbs that compare their subject with their object ("A outnumbers B")."""
_SKIP_OBJECT = frozenset("the a an behind of its their his her".split())


def _direction(toks: list[Tok], t: Tok) -> int:
    s = stem(t.text)
    if s == "scale":
        nxt = toks[t.i + 1].text if t.i + 1 < len(toks) else ""
        return -1 if nxt in ("back", "down") else 0
    if t.text in ("up", "down") and (t.i > 0 and stem(toks[t.i - 1].text) in ("scale", "ramp", "step", "speed")
                                     or t.i + 1 < len(toks) and toks[t.i + 1].text == "from"):
        return 1 if t.text == "up" else -1  # "ramp up", "down from 50%"
    if t.text in ("up", "down", "more", "less", "over", "under", "above", "below", "fewer", "short"):
        # a bound before a number is read by reversed_bounds; "more than 70%" is no direction of its own
        ahead = toks[t.i + 1:t.i + 4]
        if any(a.value is not None for a in ahead[:3]) and (t.text != "short"):
            return 0
        if t.text == "short" and not (t.i > 0 and stem(toks[t.i - 1].text) in ("fall", "fell", "come", "came")):
            return 0
        if t.text in ("up", "down", "over", "under", "above", "below"):
            return 0
    return 1 if s in UP else -1 if s in DOWN else 0


def _anchors(toks: list[Tok], t: Tok) -> set[str]:
    """What a direction word is about: stems of the content words and values within three tokens of it."""
    out = set()
    for o in toks[max(0, t.i - 3):t.i + 4]:
        if o is t:
            continue
        if o.value is not None:
            out.add(f"#{o.value:g}")
        elif _is_content(o) and stem(o.text) not in UP and stem(o.text) not in DOWN:
            out.add(stem(o.text))
    return out


def _compared(toks: list[Tok], t: Tok) -> str | None:
    """What ``t`` compares its subject with: the first word after "than" (right after ``t`` or its adjective), or
    the object of a comparing verb ("outnumber human connections" -> "human")."""
    after = toks[t.i + 1:t.i + 4]
    for k, a in enumerate(after):
        if a.text == "than":
            rest = [o for o in toks[a.i + 1:a.i + 6] if o.text not in _SKIP_OBJECT and o.text not in _BOUND_WORDS
                    and (o.text[0].isalnum())]
            return _key(rest[0]) if rest else None
        if k >= 1 and not _is_content(a):
            break
    if stem(t.text) in COMPARATIVE_VERBS:
        rest = [o for o in toks[t.i + 1:t.i + 6] if _is_content(o) or o.value is not None]
        return _key(rest[0]) if rest else None
    return None


def _key(t: Tok) -> str:
    return f"#{t.value:g}" if t.value is not None else stem(t.text)


def _keys(toks: list[Tok]) -> set[str]:
    return {_key(t) for t in toks if t.text[0].isalnum()}


def reversed_direction(claim: str, evidence: str) -> str:
    """The claim's word of direction that reverses the evidence ("" when none): its opposite stands next to the same
    thing in the evidence, and no word of its own direction does (else :data:`FALLBACK`)."""
    c_toks, e_toks = tokens(claim), tokens(evidence)
    e_dirs = [(t, d) for t in e_toks if (d := _direction(e_toks, t))]
    if not e_dirs:
        return ""
    for t in c_toks:
        d = _direction(c_toks, t)
        if not d:
            continue
        anchors = _anchors(c_toks, t)
        matched = [(e, ed) for e, ed in e_dirs if anchors & _anchors(e_toks, e)]
        if not matched:
            if FALLBACK and all(ed == -d for _, ed in e_dirs):
                return t.text  # nothing next to it to go by: the evidence only ever goes the other way
            continue
        verdicts = []
        for e, ed in matched:
            sign = ed
            c_obj, e_obj = _compared(c_toks, t), _compared(e_toks, e)
            if c_obj is not None and c_obj != e_obj and c_obj in _keys(e_toks[:e.i]):
                sign = -ed  # "B is higher than A" read against "A is lower than B": the sides are exchanged
            verdicts.append(sign == d)
        if not any(verdicts):
            return t.text
    return ""


# --- exchanged arguments -------------------------------------------------------------------------------------------

_REPLACE = frozenset(stem(w) for w in "replace swap substitute exchange trade".split())
_BY = frozenset(("with", "for", "by"))


def _exchange(toks: list[Tok]) -> list[tuple[set[str], set[str]]]:
    """(what goes, what comes) of each "replace X with Y" and "from X to Y" in ``toks``, as stems."""
    out = []
    for t in toks:
        if stem(t.text) in _REPLACE or t.text == "from":
            ends = _BY if t.text != "from" else {"to"}
            gone: set[str] = set()
            for k, o in enumerate(toks[t.i + 1:t.i + 8], t.i + 1):
                if o.text in ends:
                    come = set()
                    for c in toks[k + 1:k + 5]:
                        if _is_break(c) and c.value is None:
                            break
                        if _is_content(c):
                            come.add(stem(c.text))
                    if gone and come:
                        out.append((gone, come))
                    break
                if _is_break(o) and o.value is None:
                    break
                if _is_content(o):
                    gone.add(stem(o.text))
    return out


def exchanged_arguments(claim: str, evidence: str) -> list[str]:
    """Words the claim moves between the two sides of an exchange ("replace Chinese chips with foreign ones" where
    the evidence replaces foreign chips with Chinese ones)."""
    theirs = _exchange(tokens(evidence))
    out: list[str] = []
    for gone, come in _exchange(tokens(claim)):
        for e_gone, e_come in theirs:
            out += sorted((gone & (e_come - e_gone)) | (come & (e_gone - e_come)))
    return out


# --- periods of a year ---------------------------------------------------------------------------------------------

_QUARTER = re.compile(r"\bQ([1-4])\b|\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter\b", re.I)
_HALF = re.compile(r"\bH([12])\b|\b(first|second|1st|2nd)\s+half\b", re.I)
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_PART = re.compile(r"\b(early|beginning|start|mid|middle|late|end)(?:\s+of)?(?:\s+the)?[\s-]+((?:19|20)\d\d)\b",
                   re.I)
_PART_CLASS = {"early": "early", "beginning": "early", "start": "early", "mid": "mid", "middle": "mid",
               "late": "late", "end": "late"}


def periods(text: str) -> set[str]:
    """Quarters and halves ``text`` names ("q3", "h1") and parts of years ("late 2025")."""
    out = set()
    for m in _QUARTER.finditer(text):
        out.add(f"q{m.group(1) or _ORDINAL[m.group(2).lower()]}")
    for m in _HALF.finditer(text):
        out.add(f"h{m.group(1) or _ORDINAL[m.group(2).lower()]}")
    for m in _PART.finditer(text):
        out.add(f"{_PART_CLASS[m.group(1).lower()]} {m.group(2)}")
    return out


def changed_periods(claim: str, evidence: str) -> list[str]:
    """Periods of the claim that the evidence states otherwise: another quarter or half, or another part of a year
    the evidence qualifies."""
    mine, theirs = periods(claim), periods(evidence)
    out = []
    for p in sorted(mine - theirs):
        if p[0] in "qh" and len(p) == 2:
            out.append(p.upper())
        else:
            year = p.split()[1]
            if any(q.endswith(year) for q in theirs):
                out.append(p)
    return out


# --- all of them ---------------------------------------------------------------------------------------------------


def role_conflict(claim: str, evidence: str) -> str:
    """Why ``claim`` states a value, time or direction of ``evidence`` in another role ("" when it does not)."""
    if found := changed_periods(claim, evidence):
        return f"the evidence gives another period: {', '.join(found)}"
    if found := reversed_bounds(claim, evidence):
        return f"the evidence bounds it the other way: '{found[0]}'"
    if word := reversed_direction(claim, evidence):
        return f"'{word}' reverses the evidence's direction"
    if found := exchanged_arguments(claim, evidence):
        return f"'{found[0]}' is on the other side of the exchange in the evidence"
    if found := misbound_numbers(claim, evidence):
        return f"the evidence gives {', '.join(found)} for something else"
    return ""
