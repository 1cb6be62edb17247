"""Persona -> UserProfile, procedurally (paper 2.1).

The persona's catalog coordinates (occupation, industry, seniority, region, traits) fix
the professional context; the seed fixes everything a persona leaves open: the name,
the projects, the collaborators and the computer-use habits that shape the filesystem.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from synthcomp.brains.procedural.rng import rng_for
from synthcomp.errors import BrainError
from synthcomp.models import (
    Catalog,
    Contact,
    DocumentStyle,
    NamingPreferences,
    Persona,
    Project,
    UserProfile,
)

_YEARS_BY_SENIORITY = {
    "junior": (0, 2), "early-career": (1, 4), "newly promoted": (3, 7), "mid-career": (5, 12),
    "experienced": (8, 18), "senior": (10, 20), "long-serving": (15, 30), "veteran": (20, 35),
}
_DEPARTMENTS = [
    "Operations", "Planning", "Analytics", "Programme Delivery", "Compliance", "Client Services",
    "Strategy", "Technical Services", "Finance", "Research", "Quality", "Projects",
]
_COLLABORATOR_ROLES = [
    "line manager", "team lead", "peer analyst", "senior colleague", "project sponsor",
    "finance business partner", "compliance officer", "external consultant", "client lead",
    "procurement specialist", "data analyst", "department head",
]
_BODY_FONTS = ["Calibri", "Arial", "Cambria", "Georgia", "Segoe UI", "Helvetica", "Garamond", "Verdana"]
_HEADING_FONTS = ["Calibri Light", "Arial", "Cambria", "Georgia", "Segoe UI Semibold", "Helvetica Neue"]
_ACCENTS = ["1F4E79", "2E75B6", "C00000", "548235", "7030A0", "BF8F00", "00B0F0", "E46C0A", "3B3838", "0F6B5C"]
_HABITS = [
    "keeps a running draft and saves numbered versions before sending",
    "exports final versions to PDF before circulating",
    "saves email attachments and renames them with the date",
    "rarely deletes anything; old drafts pile up next to finals",
    "starts new documents from last quarter's copy",
    "keeps meeting notes in plain text files",
]

ANCHOR_START = datetime(2024, 9, 2, 9, 0)
"""Earliest simulated "now"; each computer's now is drawn from the 18 months after it."""


def simulated_now(seed: int) -> datetime:
    """The computer's present, shared by the profile and the policy steps."""
    rng = rng_for(seed, "now")
    day = ANCHOR_START + timedelta(days=rng.randrange(0, 540))
    while day.weekday() >= 5:  # the simulated month starts on a workday
        day += timedelta(days=1)
    return day.replace(hour=9, minute=0)


def ascii_fold(text: str) -> str:
    """'Søren Müller' -> 'Soren Muller', for usernames and e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ø", "o").replace("Ø", "O").replace("ß", "ss"))
    return "".join(c for c in decomposed if c.isascii())


def build_profile(persona: Persona, catalog: Catalog, seed: int) -> UserProfile:
    if not (persona.occupation and persona.industry and persona.region and persona.seniority):
        raise BrainError("the procedural brain needs a persona with catalog coordinates")
    rng = rng_for(seed, "profile")
    industry = catalog.industry(persona.industry)
    occupation = next(o for o in catalog.occupations if o.title == persona.occupation)
    region = next(r for r in catalog.regions if r.city == persona.region)
    first, last = rng.choice(region.first_names), rng.choice(region.last_names)
    org = rng.choice(industry.org_names).replace("{city}", region.city)
    domain = "".join(ch for ch in ascii_fold(org).lower() if ch.isalnum())[:18] + rng.choice([".com", ".org", ".co"])
    username = _username(first, last, rng.random())
    low, high = _YEARS_BY_SENIORITY.get(persona.seniority, (3, 12))
    now = simulated_now(seed)
    tidiness = round(rng.betavariate(2.2, 2.0), 2)
    if tidiness < 0.3:
        organization = rng.choice(["flat_messy", "flat_messy", "by_type", "by_date"])
    else:
        organization = rng.choices(
            ["by_project", "by_client", "by_date", "by_type", "flat_messy"], weights=[5, 3, 2, 2, 1]
        )[0]
    themes = rng.sample(industry.project_themes, k=min(len(industry.project_themes), rng.randint(3, 6)))
    clients = rng.sample(industry.clients, k=min(len(industry.clients), len(themes)))
    projects = []
    for i, theme in enumerate(themes):
        status = "archived" if i >= len(themes) - rng.randint(1, 2) else ("closing" if i == 0 else "active")
        months_ago = rng.randint(1, 8) if status != "archived" else rng.randint(10, 30)
        start = now - timedelta(days=30 * months_ago + rng.randint(0, 25))
        code = "".join(w[0] for w in ascii_fold(theme).split() if w[:1].isalpha()).upper()[:3] or "PRJ"
        projects.append(Project(
            name=theme, code=f"{code}-{start.year % 100:02d}{rng.randint(1, 99):02d}",
            client=clients[i % len(clients)],
            description=f"{theme} for {clients[i % len(clients)]}, focused on {rng.choice(occupation.focus)}.",
            start=start.replace(hour=9, minute=0, second=0, microsecond=0), status=status,
        ))
    collaborators = []
    for role in rng.sample(_COLLABORATOR_ROLES, k=rng.randint(4, 8)):
        source = region if rng.random() < 0.75 else rng.choice(catalog.regions)
        c_first, c_last = rng.choice(source.first_names), rng.choice(source.last_names)
        external = role in {"external consultant", "client lead"}
        c_org = rng.choice(industry.clients) if external else org
        c_domain = "".join(ch for ch in ascii_fold(c_org).lower() if ch.isalnum())[:18] + ".com" if external else domain
        collaborators.append(Contact(
            name=f"{c_first} {c_last}", role=role, organization=c_org,
            email=f"{ascii_fold(c_first).lower()}.{ascii_fold(c_last).lower().replace(' ', '')}@{c_domain}",
        ))
    technical = rng.choices(["low", "medium", "high"], weights=[2, 5, 3])[0]
    return UserProfile(
        full_name=f"{first} {last}", first_name=first, last_name=last, username=username,
        initials=(ascii_fold(first)[:1] + ascii_fold(last)[:1]).upper(),
        email=f"{ascii_fold(first).lower()}.{ascii_fold(last).lower().replace(' ', '')}@{domain}",
        occupation=occupation.title, industry=industry.key, organization=org,
        department=rng.choice(_DEPARTMENTS), career_stage=persona.seniority,
        years_experience=rng.randint(low, high), city=region.city, country=region.country,
        currency=region.currency,
        responsibilities=[f"{f[0].upper()}{f[1:]}" for f in occupation.focus],
        recent_work=[f"{rng.choice(industry.document_kinds['docx'])} for {p.name}" for p in projects[:3]],
        active_projects=projects, collaborators=collaborators,
        common_work_products=sorted({rng.choice(industry.document_kinds[t]) for t in ("docx", "xlsx", "pptx", "pdf")}),
        technical_level=technical,
        computer_usage=rng.choices(["light", "moderate", "heavy"], weights=[1, 4, 3])[0],
        tidiness=tidiness,
        preferred_tools=sorted({*occupation.tools, "Word", "Excel", rng.choice(["PowerPoint", "Outlook", "Teams"])}),
        document_habits=rng.choice(_HABITS),
        spreadsheet_usage=rng.choices(["light", "moderate", "heavy"], weights=[2, 4, 3])[0],
        attachment_saving=rng.choices(["downloads", "project_folder", "desktop"], weights=[5, 4, 1])[0],
        naming=NamingPreferences(
            date_style=rng.choices(["iso", "us", "compact", "none"], weights=[4, 2, 2, 2])[0]
            if region.date_style != "us" else rng.choice(["us", "us", "compact", "none"]),
            separator=rng.choices(["_", " ", "-"], weights=[5, 4, 1])[0],
            version_style=rng.choice(["_v2", " v2", "-v02", "FINAL", "rev"]),
            uses_initials=rng.random() < 0.3,
        ),
        organization_style=organization,
        traits=list(persona.traits),
        style=DocumentStyle(
            body_font=rng.choice(_BODY_FONTS), heading_font=rng.choice(_HEADING_FONTS),
            accent_rgb=rng.choice(_ACCENTS), slide_layout=rng.choice(["classic", "band", "minimal"]),
            page_size="Letter" if region.date_style == "us" else "A4",
        ),
    )


def _username(first: str, last: str, draw: float) -> str:
    f, lst = ascii_fold(first).lower().replace(" ", ""), ascii_fold(last).lower().replace(" ", "").replace("'", "")
    name = f if draw < 0.35 else (f"{f}.{lst}" if draw < 0.7 else f"{f[:1]}{lst}")
    name = "".join(c for c in name if c.isalnum() or c in "._-")
    return name if name[:1].isalpha() else f"u{name}"
