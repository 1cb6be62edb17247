"""The persona pool: who a synthetic computer belongs to (paper 2.1, DESIGN.md step 1).

Personas come from two places. The built-in pool composes them from the package
catalog (occupation x seniority x region x two traits), so millions of distinct users
need no network and no data download, and a persona is a pure function of
``(seed, index)``: re-running a build reproduces the same users. A user-supplied JSONL
file (PersonaHub rows) gives free text instead; ``match_occupation`` then finds the
catalog occupation whose vocabulary the text is closest to, so later stages still have
an industry to draw documents, metrics and project themes from.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import random
import re
import unicodedata
from importlib import resources
from pathlib import Path

from synthcomp.errors import InputError
from synthcomp.models import Catalog, Industry, Occupation, Persona

_CATALOG_PACKAGE = "synthcomp.computer"
_CATALOG_FILE = ("data", "catalog.json")

# Each template is one line; ``{org}`` already names the city (see _org_phrase).
_TEMPLATES = (
    "{a} {seniority} {title} at {org}, {traits}",
    "{a} {seniority} {title} working in {industry} in {city}, {traits}",
    "{a} {seniority} {title} in {city} ({industry}), {traits}",
    "{a} {seniority} {title} with {org}; {traits}",
)


@functools.cache
def load_catalog() -> Catalog:
    """The built-in catalog, validated once per process.

    It is package data rather than code (STYLE.md rule 12) and is validated against
    ``Catalog`` so a bad edit to the JSON fails here, not deep inside generation.
    The returned object is shared: treat it as read-only.
    """
    resource = resources.files(_CATALOG_PACKAGE).joinpath(*_CATALOG_FILE)
    return Catalog.model_validate_json(resource.read_text(encoding="utf-8"))


def persona_space_size(catalog: Catalog) -> int:
    """How many distinct personas ``sample_persona`` can draw from ``catalog``.

    Counts coordinates only (occupation x seniority x region x unordered trait pair);
    phrasing and organization choices make the texts more varied still.
    """
    return (
        len(catalog.occupations)
        * len(catalog.seniorities)
        * len(catalog.regions)
        * math.comb(len(catalog.traits), 2)
    )


def _rng(*parts: object) -> random.Random:
    """A generator seeded from a sha256 of ``parts``: stable across runs and platforms,
    unlike ``hash()``, which is salted per process."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _lower_first(phrase: str) -> str:
    """Lower-case a leading capital for use mid-sentence, but keep acronyms and codes
    ("AML compliance officer", "K-12 education", "IT business analyst") intact."""
    first = phrase.split(" ", 1)[0]
    if any(c.isupper() for c in first[1:]) or any(c.isdigit() for c in first):
        return phrase
    return phrase[:1].lower() + phrase[1:]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


_THE_FIRST_WORDS = frozenset(
    "Department Ministry Office Institute National Regional County State Centre Polar".split()
)


def _org_phrase(pattern: str, city: str) -> str:
    """An organization name with its city ("Leeds Water Services", "Harbor Ridge Capital
    in Leeds"), so every persona line says where the user is, with "the" where English
    wants one ("the University of Leeds", "the National Statistics Office in Lyon")."""
    name = pattern.replace("{city}", city)
    first = name.split(" ", 1)[0]
    if first != "The" and (first in _THE_FIRST_WORDS or " of " in name or " for " in name):
        name = f"the {name}"
    return name if "{city}" in pattern else f"{name} in {city}"


_ADVERBS = frozenset({"often", "always", "rarely", "never", "usually"})


def _is_verb_phrase(trait: str) -> bool:
    """True for traits like "keeps everything" or "often works late", which read badly
    before an adjective ("keeps everything and frugal"), so they are written last."""
    first = trait.split(" ", 1)[0]
    return first in _ADVERBS or (first.endswith("s") and not first.endswith(("ous", "ss")))


def sample_persona(seed: int, index: int, catalog: Catalog) -> Persona:
    """The ``index``-th persona of the pool for ``seed``; the same pair always gives the
    same persona, whatever else has been sampled before.

    The occupation is uniform over all occupations (not over industries), so large
    industries are not under-represented; the two traits are distinct and kept in
    catalog order so a pair counts once in ``persona_space_size``.
    """
    rng = _rng(seed, index)
    occupation = rng.choice(catalog.occupations)
    industry = catalog.industry(occupation.industry)
    seniority = rng.choice(catalog.seniorities)
    region = rng.choice(catalog.regions)
    picked = set(rng.sample(range(len(catalog.traits)), 2))
    traits = [t for i, t in enumerate(catalog.traits) if i in picked]
    template = rng.choice(_TEMPLATES)
    org = _org_phrase(rng.choice(industry.org_names), region.city)
    text = template.format(
        a=_article(seniority),
        seniority=seniority,
        title=_lower_first(occupation.title),
        org=org,
        industry=_lower_first(industry.name),
        city=region.city,
        traits=" and ".join(sorted(traits, key=_is_verb_phrase)),
    )
    return Persona(
        text=text,
        occupation=occupation.title,
        industry=industry.key,
        seniority=seniority,
        region=region.city,
        traits=traits,
        source="pool",
    )


def load_personas_jsonl(path: Path) -> list[Persona]:
    """Personas from a PersonaHub-style JSONL file: one ``{"persona": "..."}`` per line.

    Other keys are ignored and blank lines skipped; whitespace inside a persona is
    collapsed so it stays one line. Any bad line stops the load with an ``InputError``
    naming the file and the 1-based line, because a silently skipped row would shift
    every later persona's index and so change which computers a seed builds.

    Raises:
        InputError: the file cannot be read, a line is not UTF-8 or not JSON, a row is
            not an object or lacks a non-empty string ``persona``, or there are no rows.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read personas file ({exc.strerror or exc})") from exc
    personas: list[Persona] = []
    for number, chunk in enumerate(raw.splitlines(), start=1):
        where = f"{path}: line {number}"
        try:
            line = chunk.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{where}: not valid UTF-8") from None
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise InputError(
                f'{where}: expected a JSON object like {{"persona": "..."}}, got {type(row).__name__}'
            )
        if "persona" not in row:
            raise InputError(f'{where}: missing "persona" key')
        text = row["persona"]
        if not isinstance(text, str):
            raise InputError(f'{where}: "persona" must be a string, got {type(text).__name__}')
        text = " ".join(text.split())
        if not text:
            raise InputError(f'{where}: "persona" is empty')
        if len(text) < 3:
            raise InputError(f'{where}: "persona" is too short ({text!r})')
        personas.append(Persona(text=text, source="file"))
    if not personas:
        raise InputError(f"{path}: no personas found (the file is empty)")
    return personas


# --------------------------------------------------------------------------- matching

# Words that say nothing about an occupation; PersonaHub rows are full of them.
_STOPWORDS = frozenset(
    """an the of in at on to for with and or but by from as is are be been being who whom
    whose which that this these those their his her hers its our your my they she he it we
    you works work working worked based busy very really also into about over under after
    before during while where when than then such some any all each every other another
    more most many much few new old small large big local there here person someone
    somebody people job role career team teams day days year years""".split()
)
_WEIGHT_TITLE = 3.0
_WEIGHT_FOCUS = 1.0
_WEIGHT_INDUSTRY = 1.0
_WEIGHT_TERMS = 0.5

_SUFFIXES = ("ation", "ment", "ing", "ian", "er", "s", "y")


def _stem(word: str) -> str:
    """A crude, symmetric stemmer: "farmer"/"farming"/"farms" -> "farm", "engineering"
    -> "engineer" -> "engine", "historian"/"history" -> "histor". Both the persona text
    and the catalog go through it, so over-stemming only has to be consistent."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def _tokens(text: str) -> list[str]:
    """Content words, folded so spelling variants meet: accents stripped, British "ae"
    as in "paediatric" read as "e", then stemmed."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    out = []
    for word in re.findall(r"[a-z0-9]+", folded):
        if word in _STOPWORDS or len(word) < 2:
            continue
        out.append(_stem(word.replace("ae", "e")))
    return out


def _occupation_weights(occupation: Occupation, industry: Industry) -> dict[str, float]:
    """Token -> how strongly it signals this occupation (the best source it appears in)."""
    weights: dict[str, float] = {}
    sources = (
        (_WEIGHT_TERMS, " ".join(industry.terms)),
        (_WEIGHT_INDUSTRY, f"{industry.name} {industry.key.replace('_', ' ')}"),
        (_WEIGHT_FOCUS, " ".join(occupation.focus)),
        (_WEIGHT_TITLE, occupation.title),
    )
    for weight, text in sources:
        for token in _tokens(text):
            weights[token] = max(weights.get(token, 0.0), weight)
    return weights


class _Index:
    """What matching needs from a catalog, computed once per catalog so matching a
    whole personas file stays cheap."""

    def __init__(self, catalog: Catalog) -> None:
        industries = {industry.key: industry for industry in catalog.industries}
        self.weights = [_occupation_weights(o, industries[o.industry]) for o in catalog.occupations]
        self.titles = [tuple(_tokens(o.title)) for o in catalog.occupations]
        counts: dict[str, int] = {}
        for weights in self.weights:
            for token in weights:
                counts[token] = counts.get(token, 0) + 1
        total = len(self.weights)
        self.idf = {token: math.log(1.0 + total / n) for token, n in counts.items()}


_INDEX_CACHE: dict[int, tuple[Catalog, _Index]] = {}


def _index(catalog: Catalog) -> _Index:
    cached = _INDEX_CACHE.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    index = _Index(catalog)
    if len(_INDEX_CACHE) >= 4:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[id(catalog)] = (catalog, index)
    return index


def _contains(sequence: list[str], part: tuple[str, ...]) -> bool:
    n = len(part)
    return n > 0 and any(tuple(sequence[i : i + n]) == part for i in range(len(sequence) - n + 1))


def match_occupation(text: str, catalog: Catalog, seed: int) -> Occupation:
    """The catalog occupation whose vocabulary best overlaps free persona ``text``.

    Scores each occupation by the words it shares with the text, weighting a word by
    where it appears (job title > focus > industry name > industry terms) and by how
    rare it is across occupations, so "paediatric" outweighs "manager"; a job title
    quoted whole ("a construction site manager") counts double. Ties, and text that
    shares no word with the catalog, are settled by a choice seeded from
    ``(seed, text)``, so the same file always maps the same way.
    """
    index = _index(catalog)
    sequence = _tokens(text)
    query = set(sequence)
    scores = []
    for weights, title in zip(index.weights, index.titles):
        score = sum(weights[t] * index.idf[t] for t in query if t in weights)
        if _contains(sequence, title):
            score += _WEIGHT_TITLE * sum(index.idf[t] for t in title)
        scores.append(score)
    best = max(scores, default=0.0)
    rng = _rng(seed, "match", text)
    if best <= 0.0:
        return rng.choice(catalog.occupations)
    tied = [o for o, s in zip(catalog.occupations, scores) if best - s < 1e-9]
    return rng.choice(tied)
