"""*figures*: each figure the deliverable must report, with the right value next to its label.

A figure counts when one unit of the deliverable (a table row or a sentence) names it (the
words of its label, at least the ones that are not units) and the number written nearest
after the label, with no other figure's label in between, equals the truth at the
precision written (``4.87`` for 4.8733; ``61,328`` for 61,328). A label whose nearest
number is another value contradicts the truth; each contradiction of any of the
project's figures cancels one figure found. Numbers without a label earn nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from synthcomp import measures
from synthcomp.agents.criteria.reading import Number, Reading, numbers, words
from synthcomp.agents.truth import Figure

WINDOW = 80
"""Most characters between a label and its number."""
_UNIT_AFTER = re.compile(r"\s*\(([^()]{1,40})\)")
"""A parenthesis right after a label: its unit, '(EUR)', '(per 100,000 h)', when it is the figure's."""
_IGNORED = frozenset({"total", "average", "mean", "the", "of", "for", "and", "to", "date", "per"})


@dataclass
class Finding:
    figure: Figure
    unit: str
    number: Number

    @property
    def right(self) -> bool:
        return matches(self.number, self.figure)


def label_words(figure: Figure) -> list[str]:
    """The words of a figure's name a reader must see ('Probability of default' -> probability, default)."""
    return [w for w in words(figure.name) if w not in _IGNORED and len(w) > 1]


def matches(number: Number, figure: Figure) -> bool:
    """Whether a written number is the figure at the precision written."""
    if number.percent and "%" not in figure.label:
        return False
    shown = round(figure.value, number.decimals)
    if abs(number.value - shown) <= 0.5 * 10 ** -number.decimals + 1e-9:
        return number.decimals > 0 or float(figure.value).is_integer() or abs(figure.value) >= 100
    return False


def _label_span(unit: str, lowered: str, figure: Figure) -> tuple[int, int] | None:
    """Where the label's words sit in the unit (first to last), if all are there."""
    spans = []
    for word in label_words(figure):
        match = re.search(rf"(?<![a-zà-ÿ]){re.escape(word)}", lowered)
        if match is None:
            return None
        spans.append((match.start(), match.end()))
    if not spans:
        return None
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    if end - start > 3 * len(figure.name) + 20:
        return None
    written = _UNIT_AFTER.match(lowered, end)  # 'rate (per 100,000 h)': the unit's number is not the value
    own = written is not None and written.group(1).strip() == measures.unit_of(figure.label).lower()
    return start, written.end() if own else end


def findings(reading: Reading, figures: list[Figure], names: list[str] = ()) -> list[Finding]:
    """Every (figure, nearest number) pair the deliverable writes; ``names`` (the project's,
    its client's, its entities') are blanked first, so 'Junction 14' is not a value and
    'Supplier on-time-in-full improvement' not the label 'On-time in full'."""
    masks = [re.compile(re.escape(n), re.I) for n in names if len(n) > 2]
    out = []
    for unit in reading.units():
        for mask in masks:
            unit = mask.sub(lambda m: " " * len(m.group()), unit)
        lowered = unit.lower()
        spans = {f.id: s for f in figures if (s := _label_span(unit, lowered, f)) is not None}
        spans = {fid: s for fid, s in spans.items()  # 'yield' inside 'net initial yield' is not a label
                 if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans.values())}
        if not spans:
            continue
        found = numbers(unit)
        for figure in figures:
            span = spans.get(figure.id)
            if span is None:
                continue
            others = [s for fid, s in spans.items() if fid != figure.id and s[0] > span[1]]
            barrier = min((s[0] for s in others), default=len(unit))
            after = [n for n in found if span[1] <= n.start < barrier and n.start - span[1] <= WINDOW]
            if after:
                out.append(Finding(figure=figure, unit=unit, number=after[0]))
    return out


def score(reading: Reading, expected: list[Figure], project_figures: list[Figure],
          names: list[str] = ()) -> tuple[float, str, list[str]]:
    """(score, evidence, quoted spans) of a figures criterion."""
    pairs = findings(reading, project_figures, names)
    right = {p.figure.id: p for p in pairs if p.right}
    wrong = [p for p in pairs if not p.right]
    found = [f for f in expected if f.id in right]
    missing = [f for f in expected if f.id not in right]
    value = max(0.0, (len(found) - len(wrong)) / len(expected)) if expected else 0.0
    parts = [f"{len(found)} of {len(expected)} figures reported with their label"]
    if missing:
        parts.append("missing: " + "; ".join(f"{f.label} = {f.quoted}" for f in missing[:6]))
    if wrong:
        parts.append(f"{len(wrong)} contradict the truth: " + "; ".join(
            f"{p.figure.label} given as {p.unit[p.number.start:p.number.end]} (is {p.figure.quoted})" for p in wrong[:4]))
    spans = [right[f.id].unit[:200] for f in found] + [p.unit[:200] for p in wrong[:4]]
    return value, "; ".join(parts), spans
