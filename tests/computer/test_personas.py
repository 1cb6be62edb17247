"""The persona pool: the catalog's size and quality, seeded sampling, PersonaHub files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from synthcomp.computer.personas import (
    load_catalog,
    load_personas_jsonl,
    match_occupation,
    persona_space_size,
    sample_persona,
)
from synthcomp.errors import InputError
from synthcomp.models import Catalog

REQUIRED_DOC_TYPES = {"docx", "xlsx", "pptx", "pdf"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --------------------------------------------------------------------------- catalog


def test_catalog_is_cached_and_validates(catalog: Catalog) -> None:
    assert load_catalog() is catalog
    assert Catalog.model_validate(catalog.model_dump()) == catalog


def test_catalog_meets_counts(catalog: Catalog) -> None:
    assert len(catalog.industries) >= 20
    assert len(catalog.occupations) >= 300
    assert len(catalog.regions) >= 30
    assert len(catalog.traits) >= 40
    assert len(catalog.seniorities) >= 6
    per_industry = Counter(o.industry for o in catalog.occupations)
    keys = [i.key for i in catalog.industries]
    assert len(set(keys)) == len(keys)
    assert set(per_industry) == set(keys), "every occupation names a known industry"
    assert min(per_industry.values()) >= 14


def test_every_industry_has_rich_vocabulary(catalog: Catalog) -> None:
    for industry in catalog.industries:
        assert len(industry.org_names) >= 8, industry.key
        assert any("{city}" in name for name in industry.org_names), industry.key
        assert len(industry.clients) >= 8, industry.key
        assert len(industry.project_themes) >= 12, industry.key
        assert set(industry.document_kinds) == REQUIRED_DOC_TYPES, industry.key
        assert all(len(kinds) >= 6 for kinds in industry.document_kinds.values()), industry.key
        assert len(industry.metrics) >= 8, industry.key
        assert any(m.unit == "currency" for m in industry.metrics), industry.key
        assert all(m.low < m.high and m.decimals >= 0 for m in industry.metrics), industry.key
        assert len(industry.entities) >= 10, industry.key
        assert len(industry.terms) >= 20, industry.key


def test_occupations_are_distinct_and_described(catalog: Catalog) -> None:
    titles = [(o.title.lower(), o.industry) for o in catalog.occupations]
    assert len(set(titles)) == len(titles)
    for occupation in catalog.occupations:
        assert 3 <= len(occupation.focus) <= 5, occupation.title
        assert 2 <= len(occupation.tools) <= 5, occupation.title


def test_region_text_is_latin1_encodable(catalog: Catalog) -> None:
    """PDFs are written with core fonts, which only cover Latin-1."""
    for region in catalog.regions:
        assert len(region.first_names) >= 14 and len(region.last_names) >= 14, region.city
        for text in (region.city, region.country, *region.first_names, *region.last_names):
            text.encode("latin-1")  # raises UnicodeEncodeError if not


def test_all_catalog_text_is_latin1_encodable(catalog: Catalog) -> None:
    """Every generated file's text is built from the catalog, PDFs included."""
    json.dumps(catalog.model_dump(), ensure_ascii=False).encode("latin-1")


def test_space_size_exceeds_a_million(catalog: Catalog) -> None:
    assert persona_space_size(catalog) > 10**6


# --------------------------------------------------------------------------- sampling


def test_sampling_is_deterministic(catalog: Catalog) -> None:
    assert sample_persona(7, 42, catalog) == sample_persona(7, 42, catalog)
    assert sample_persona(7, 42, catalog) != sample_persona(8, 42, catalog)


def test_sampled_persona_carries_its_coordinates(catalog: Catalog) -> None:
    occupations = {o.title: o for o in catalog.occupations}
    cities = {r.city for r in catalog.regions}
    for index in range(50):
        persona = sample_persona(3, index, catalog)
        assert persona.source == "pool"
        assert persona.occupation in occupations
        assert persona.industry == occupations[persona.occupation].industry
        assert persona.seniority in catalog.seniorities
        assert persona.region in cities
        assert persona.region in persona.text
        assert persona.seniority in persona.text
        assert len(persona.traits) == 2 and len(set(persona.traits)) == 2
        assert all(t in catalog.traits and t in persona.text for t in persona.traits)
        assert "\n" not in persona.text and "{" not in persona.text
        assert persona.text.startswith(("a ", "an "))


def test_samples_are_diverse(catalog: Catalog) -> None:
    personas = [sample_persona(1234, index, catalog) for index in range(2000)]
    assert len({p.text for p in personas}) > 1900
    assert len({p.occupation for p in personas}) > 200
    assert len({p.industry for p in personas}) == len(catalog.industries)


# --------------------------------------------------------------------------- files


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "personas.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_personahub_jsonl(tmp_path: Path) -> None:
    rows = [
        {"persona": "A paediatric nurse in a busy hospital", "id": 1},
        {"persona": "  a structural engineer\n designing footbridges  "},
    ]
    text = json.dumps(rows[0]) + "\n\n" + json.dumps(rows[1]) + "\n"
    personas = load_personas_jsonl(_write(tmp_path, text))
    assert [p.text for p in personas] == [
        "A paediatric nurse in a busy hospital",
        "a structural engineer designing footbridges",
    ]
    assert all(p.source == "file" and p.occupation is None for p in personas)


@pytest.mark.parametrize(
    ("third_line", "reason"),
    [
        ("{not json", "invalid JSON"),
        ('["a list"]', "JSON object"),
        ('{"text": "no persona key"}', "missing"),
        ('{"persona": ""}', "empty"),
        ('{"persona": "   "}', "empty"),
        ('{"persona": 42}', "string"),
    ],
)
def test_bad_line_names_file_and_line(tmp_path: Path, third_line: str, reason: str) -> None:
    good = json.dumps({"persona": "a paralegal in a small firm"})
    path = _write(tmp_path, f"{good}\n{good}\n{third_line}\n{good}\n")
    with pytest.raises(InputError) as excinfo:
        load_personas_jsonl(path)
    message = str(excinfo.value)
    assert str(path) in message and "line 3" in message and reason in message
    assert "\n" not in message


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n  \n")
    with pytest.raises(InputError, match="no personas"):
        load_personas_jsonl(path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.jsonl"
    with pytest.raises(InputError, match="nope.jsonl"):
        load_personas_jsonl(path)


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    ("text", "industry"),
    [
        ("a paediatric nurse in a busy hospital", "healthcare"),
        ("A pediatric nurse working night shifts", "healthcare"),
        ("a lawyer specialising in employment disputes", "law"),
        ("a structural engineer designing footbridges", "engineering"),
        ("a dairy farmer", "agrifood"),
        ("a civil servant drafting policy for the ministry", "public_sector"),
    ],
)
def test_match_occupation_finds_the_industry(catalog: Catalog, text: str, industry: str) -> None:
    assert match_occupation(text, catalog, seed=0).industry == industry


def test_match_occupation_is_deterministic_with_a_fallback(catalog: Catalog) -> None:
    assert match_occupation("a nurse", catalog, 5) == match_occupation("a nurse", catalog, 5)
    gibberish = [match_occupation("zzqx vvbn", catalog, seed) for seed in range(20)]
    assert all(o in catalog.occupations for o in gibberish)
    assert len({o.title for o in gibberish}) > 1, "unmatched text falls back to a seeded choice"
