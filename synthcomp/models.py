"""Data that crosses a boundary: brains return it, computer.json stores it, the CLI prints it.

Every model forbids unknown fields so that a Claude reply or a hand-edited
``computer.json`` with a typo fails loudly at the boundary instead of being
silently ignored. This module imports nothing of ours (DESIGN.md, "Layout").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

OSName = Literal["windows", "macos"]
ArtifactType = Literal[
    "docx", "xlsx", "pptx", "pdf", "csv", "md", "txt", "json", "py", "eml", "png", "jpg", "zip",
    "system",
]
"""File kinds a plan may hold. ``system`` is OS noise (Thumbs.db, .DS_Store, ~$ lock files)."""

Origin = Literal["self", "received", "downloaded", "generated"]
ContentMode = Literal["synthesize", "download", "revise", "extract", "copy", "system"]
"""How a planned file gets its bytes: written from scratch, fetched-then-synthesized as a
public document, a revision of an earlier version, a member of an archive, a byte copy of
another file (``Report (1).docx``), or OS noise."""

EdgeKind = Literal["references", "derived_from", "later_version_of", "extracted_from"]
OrganizationStyle = Literal["by_project", "by_client", "by_date", "by_type", "flat_messy"]


class Strict(BaseModel):
    """Base for every boundary model: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- personas


class Industry(Strict):
    """One sector of the occupation catalog, with the vocabulary its files are written in."""

    key: str
    name: str
    org_names: list[str] = Field(min_length=3, description="Patterns; '{city}' is filled in.")
    clients: list[str] = Field(min_length=3, description="Clients, partners or counterparties.")
    project_themes: list[str] = Field(min_length=5)
    document_kinds: dict[str, list[str]] = Field(
        description="Artifact type (docx, xlsx, pptx, pdf) -> kinds of document, e.g. 'Inspection report'."
    )
    metrics: list[Metric] = Field(min_length=3)
    entities: list[str] = Field(min_length=5, description="Row labels: sites, products, accounts, cases.")
    terms: list[str] = Field(min_length=8, description="Domain terms used in prose.")


class Metric(Strict):
    """A measured quantity that appears in this industry's tables."""

    name: str
    unit: str
    low: float
    high: float
    decimals: int = 0


class Occupation(Strict):
    title: str
    industry: str = Field(description="Industry key.")
    focus: list[str] = Field(min_length=2, description="What this occupation works on.")
    tools: list[str] = Field(default_factory=list, description="Software the occupation uses.")


class Region(Strict):
    """A place a persona lives, with the conventions its files follow."""

    city: str
    country: str
    date_style: Literal["iso", "us", "eu"]
    currency: str
    first_names: list[str] = Field(min_length=5)
    last_names: list[str] = Field(min_length=5)


class Catalog(Strict):
    """The compositional persona pool: occupations x industries x seniority x region x traits."""

    industries: list[Industry]
    occupations: list[Occupation]
    seniorities: list[str]
    regions: list[Region]
    traits: list[str]

    def industry(self, key: str) -> Industry:
        for industry in self.industries:
            if industry.key == key:
                return industry
        raise KeyError(key)


class Persona(Strict):
    """One line describing a user, plus the catalog coordinates it was drawn from (if any)."""

    text: str = Field(min_length=3)
    occupation: str | None = None
    industry: str | None = None
    seniority: str | None = None
    region: str | None = Field(default=None, description="City name of a catalog region.")
    traits: list[str] = Field(default_factory=list)
    source: Literal["pool", "file"] = "pool"


# --------------------------------------------------------------------------- profile


class DocumentStyle(Strict):
    """How this user's documents look: fonts, accent colour, slide layout."""

    body_font: str
    heading_font: str
    accent_rgb: str = Field(pattern=r"^[0-9A-F]{6}$")
    slide_layout: Literal["classic", "band", "minimal"]
    page_size: Literal["A4", "Letter"]


class NamingPreferences(Strict):
    date_style: Literal["iso", "us", "compact", "none"]
    separator: Literal["_", " ", "-"]
    version_style: Literal["_v2", " v2", "-v02", "FINAL", "rev"]
    uses_initials: bool


class Project(Strict):
    name: str
    code: str
    client: str
    description: str
    start: datetime
    status: Literal["active", "closing", "archived"]


class Contact(Strict):
    name: str
    role: str
    organization: str
    email: str


class UserProfile(Strict):
    """The persona expanded into who the user is and how they use a computer (paper 2.1)."""

    full_name: str
    first_name: str
    last_name: str
    username: str = Field(pattern=r"^[a-z][a-z0-9._-]{1,30}$")
    initials: str
    email: str
    occupation: str
    industry: str
    organization: str
    department: str
    career_stage: str
    years_experience: int = Field(ge=0, le=50)
    city: str
    country: str
    currency: str
    responsibilities: list[str]
    recent_work: list[str]
    active_projects: list[Project] = Field(min_length=1)
    collaborators: list[Contact]
    common_work_products: list[str]
    technical_level: Literal["low", "medium", "high"]
    computer_usage: Literal["light", "moderate", "heavy"]
    tidiness: float = Field(ge=0, le=1, description="0 = chaotic, 1 = meticulous.")
    preferred_tools: list[str]
    document_habits: str
    spreadsheet_usage: Literal["light", "moderate", "heavy"]
    attachment_saving: Literal["downloads", "project_folder", "desktop"]
    naming: NamingPreferences
    organization_style: OrganizationStyle
    traits: list[str]
    style: DocumentStyle


# --------------------------------------------------------------------------- policy


class Drive(Strict):
    """A storage root: a Windows drive letter (``C``) or a macOS volume root (``/``)."""

    name: str
    label: str
    role: str


class FilesystemPolicy(Strict):
    """Conventions the computer is organized by (paper 2.2.1)."""

    os: OSName
    start_time: datetime = Field(description="When the computer was first used.")
    now: datetime = Field(description="The simulated present; every file is older.")
    drives: list[Drive]
    home: str = Field(description="The user's home in OS style, e.g. C:\\Users\\ana or /Users/ana.")
    default_paths: dict[str, str] = Field(
        description="documents, desktop, downloads, pictures, trash, (onedrive) -> OS-style path."
    )
    work_root: str = Field(description="Where project work lives, e.g. D:\\Projects or ~/Documents/Work.")
    organization_style: OrganizationStyle
    naming_style: str
    storage_patterns: list[str]
    usage_patterns: list[str]


# --------------------------------------------------------------------------- plan


class PlannedFile(Strict):
    """One file of the inventory, before it has content (paper 2.2.2)."""

    id: str
    path: str = Field(description="Logical path in the computer's OS style.")
    artifact_type: ArtifactType
    title: str
    description: str
    timestamp: datetime
    origin: Origin
    content_mode: ContentMode
    project: str | None = Field(default=None, description="Project code, if the file belongs to one.")


class FileEdge(Strict):
    """``source`` -> ``target``: the target depends on the source (written after it)."""

    source: str
    target: str
    kind: EdgeKind


class FilePlan(Strict):
    files: list[PlannedFile]
    edges: list[FileEdge]

    @model_validator(mode="after")
    def _edges_name_known_files(self) -> FilePlan:
        ids = {f.id for f in self.files}
        if len(ids) != len(self.files):
            raise ValueError("file ids must be unique")
        paths = [f.path.lower() for f in self.files]
        if len(set(paths)) != len(paths):
            raise ValueError("file paths must be unique (case-insensitively)")
        for edge in self.edges:
            if edge.source not in ids or edge.target not in ids:
                raise ValueError(f"edge {edge.source}->{edge.target} names an unknown file")
        return self


# --------------------------------------------------------------------------- content


class Table(Strict):
    columns: list[str]
    rows: list[list[str | int | float]]


class Section(Strict):
    heading: str
    paragraphs: list[str] = Field(default_factory=list)
    bullets: list[str] = Field(default_factory=list)
    table: Table | None = None


class DocumentContent(Strict):
    """A DOCX or PDF: a title and headed sections of prose, lists and tables."""

    kind: Literal["document"] = "document"
    title: str
    subtitle: str = ""
    author: str
    sections: list[Section] = Field(min_length=1)


class Column(Strict):
    name: str
    type: Literal["text", "int", "number", "currency", "percent", "date"]


class Sheet(Strict):
    """One worksheet. Dates are ISO strings; percents are fractions (0.25 = 25%)."""

    name: str = Field(max_length=31)
    columns: list[Column] = Field(min_length=1)
    rows: list[list[str | int | float | None]]
    total_row: bool = Field(
        default=False, description="Append a SUM formula under every int/number/currency column."
    )


class WorkbookContent(Strict):
    kind: Literal["workbook"] = "workbook"
    title: str
    author: str
    sheets: list[Sheet] = Field(min_length=1)


class Series(Strict):
    name: str
    values: list[float]


class Chart(Strict):
    title: str
    categories: list[str]
    series: list[Series] = Field(min_length=1)


class Slide(Strict):
    title: str
    bullets: list[str] = Field(default_factory=list)
    table: Table | None = None
    chart: Chart | None = None
    notes: str = ""


class DeckContent(Strict):
    kind: Literal["deck"] = "deck"
    title: str
    subtitle: str = ""
    author: str
    slides: list[Slide] = Field(min_length=1)


class TextContent(Strict):
    """CSV, MD, TXT, JSON, PY and EML files: the exact text to write (UTF-8)."""

    kind: Literal["text"] = "text"
    text: str


class ImageContent(Strict):
    """A PNG/JPG: a chart of data, a scanned page of text lines, or a screenshot."""

    kind: Literal["image"] = "image"
    style: Literal["chart", "scan", "screenshot"]
    title: str
    chart: Chart | None = None
    lines: list[str] = Field(default_factory=list)


class ArchiveMember(Strict):
    name: str
    content: ArtifactContent


class ArchiveContent(Strict):
    """A ZIP whose members are themselves artifacts (files extracted from it quote them)."""

    kind: Literal["archive"] = "archive"
    members: list[ArchiveMember]


class SystemContent(Strict):
    """OS noise: the raw bytes are derived from ``flavor`` and the seed by the writer."""

    kind: Literal["system"] = "system"
    flavor: Literal["thumbs_db", "desktop_ini", "ds_store", "office_lock"]
    owner: str = ""


ArtifactContent = Annotated[
    Union[
        DocumentContent, WorkbookContent, DeckContent, TextContent, ImageContent,
        ArchiveContent, SystemContent,
    ],
    Field(discriminator="kind"),
]
ArchiveMember.model_rebuild()
Industry.model_rebuild()


# --------------------------------------------------------------------------- computer


class Computer(Strict):
    """Everything known about one synthetic computer; stored as ``computer.json``."""

    id: str
    seed: int
    brain: str = Field(description="Which brain backend wrote it, e.g. 'procedural'.")
    persona: Persona
    profile: UserProfile
    policy: FilesystemPolicy
    plan: FilePlan
    content_hash: str = Field(description="sha256 over the materialized tree (paths, bytes, mtimes).")


# --------------------------------------------------------------------------- simulation


class OutputArtifact(Strict):
    """A file a deliverable must produce, at a path in the user's tree (OS style)."""

    path: str
    artifact_type: Literal["docx", "xlsx", "pptx", "pdf", "csv", "md"]
    description: str = ""


class Deliverable(Strict):
    """One month-long work package (paper 3.1.1)."""

    id: str
    title: str
    outcome: str = Field(description="The professional outcome, in a sentence or two.")
    weekly_progress: list[str] = Field(default_factory=list, description="Expected progress, week by week.")
    outputs: list[OutputArtifact] = Field(min_length=1)
    sources: list[str] = Field(default_factory=list, description="Existing files it must draw on (OS-style paths).")
    depends_on: list[str] = Field(default_factory=list, description="Ids of deliverables it builds on.")
    collaborators: list[str] = Field(default_factory=list, description="Names of collaborators it needs.")


class Collaborator(Strict):
    """A simulated colleague (paper 3.1.2). Private files stay outside the sandbox until shared."""

    name: str
    email: str
    role: str
    background: str
    communication_style: str
    knowledge: list[str] = Field(default_factory=list, description="Facts the user needs and does not have.")
    private_files: list[str] = Field(default_factory=list, description="File names held outside the sandbox.")
    preferences: list[str] = Field(default_factory=list, description="What they want to see; rubric inputs.")
    reply_latency_days: int = Field(1, ge=1, le=5)
    reliability: float = Field(0.9, ge=0, le=1, description="Chance a reply is not delayed a further day.")


class Message(Strict):
    """A message between the user and a collaborator."""

    id: str
    sender: str
    to: str
    subject: str
    body: str
    attachments: list[str] = Field(default_factory=list, description="OS-style paths (inbound: where they landed).")
    sent_day: int
    deliver_day: int
    read: bool = False


class SimEvent(Strict):
    """A collaborator changing their mind mid-month (beyond the paper): seeded and recorded."""

    day: int = Field(ge=0)
    collaborator: str
    kind: Literal["new_requirement", "moved_deadline"]
    deliverable: str
    text: str


class Activity(Strict):
    """One planned activity of a workday (paper 3.2)."""

    day: int = Field(ge=0, description="Workday index within the simulation.")
    kind: Literal["deep_work", "review", "admin", "outreach"]
    description: str
    files: list[str] = Field(default_factory=list, description="Files to create or modify.")
    sources: list[str] = Field(default_factory=list, description="Files to consult.")
    collaborators: list[str] = Field(default_factory=list)


class WeekPlan(Strict):
    week: int = Field(ge=0)
    goals: list[str] = Field(default_factory=list)
    activities: list[Activity] = Field(min_length=1)


class ActivityLogEntry(Strict):
    """What one finished workday did: the agent's summary and the observable changes."""

    day: int
    date: str
    summary: str
    steps: int
    files_changed: list[str] = Field(default_factory=list)
    messages_sent: int = 0


# --------------------------------------------------------------------------- judging


CriterionKind = Literal[
    "file_present", "opens", "sections", "figures_match", "collaborator_info", "revision_made", "renders",
    "page_range",
]


class Criterion(Strict):
    """One thing a good set of deliverables satisfies (paper 4.2.1). Weight 0 = logged only."""

    id: str
    text: str
    weight: float = Field(1.0, ge=0)
    deliverable: str
    kind: CriterionKind
    path: str = Field(description="The output file it is checked on (OS-style).")
    expect: list[str] = Field(default_factory=list, description="Headings, figures or phrases that must appear.")
    low: int = Field(0, ge=0, description="page_range: fewest pages/slides.")
    high: int = Field(0, ge=0, description="page_range: most pages/slides.")


class Rubric(Strict):
    criteria: list[Criterion] = Field(min_length=1)
    drafts: int = Field(1, ge=1, description="How many draft rubrics were merged into this one.")


class CriterionResult(Strict):
    id: str
    score: float = Field(ge=0, le=1)
    weight: float
    evidence: str
    skipped: bool = False


class Judgement(Strict):
    score: float = Field(ge=0, le=1)
    criteria: list[CriterionResult]
    summary: str
    judge: str


class StepRef(Strict):
    """One step of a simulation's trajectory: line ``step`` of ``days/<day>/trajectory.jsonl``
    (line 0 is the morning reset)."""

    sim: str = Field(description="The simulation directory, relative to the workspace.")
    day: int = Field(ge=0)
    step: int = Field(ge=0)
    tool: str = ""
    note: str = ""

    def cite(self) -> str:
        return f"{self.sim}/days/{self.day:02d}/trajectory.jsonl#L{self.step + 1}"


class ExperienceItem(Strict):
    """A lesson one simulation teaches (paper 4.2.3): when it applies, what to do, and
    the steps that show it. ``practice`` names the machine-readable practice, if any."""

    situation: str
    lesson: str
    kind: Literal["failure", "success"]
    practice: str | None = None
    evidence: list[StepRef] = Field(min_length=1)


class Retrospective(Strict):
    """What went well and badly in one simulation, and the lessons it yields (paper 4.2.2)."""

    sim_id: str
    computer_id: str
    occupation: str
    industry: str
    policy: str
    score: float = Field(ge=0, le=1)
    worked: list[str]
    failed: list[str]
    items: list[ExperienceItem]
