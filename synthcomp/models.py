"""Data that crosses a boundary: brains return it, computer.json stores it, the CLI prints it.

Every model forbids unknown fields so that a Claude reply or a hand-edited
``computer.json`` with a typo fails loudly at the boundary instead of being
silently ignored. This module imports nothing of ours (DESIGN.md, "Layout").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter, model_validator

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
    work_root: str = Field(description="Where project work lives, e.g. D:\\Projects or /Users/ana/Documents/Work.")
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

    def links(self) -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[str]]]:
        """Each file's sources (id, edge kind) and each archive's members, by id: what
        writing a file in dependency order hands it."""
        incoming: dict[str, list[tuple[str, str]]] = {}
        members: dict[str, list[str]] = {}
        for edge in self.edges:
            incoming.setdefault(edge.target, []).append((edge.source, edge.kind))
            if edge.kind == "extracted_from":
                members.setdefault(edge.source, []).append(edge.target)
        return incoming, members


# --------------------------------------------------------------------------- content
#
# Office content arrives from brains and, through ``create_document``, from a work agent
# that may be hostile, so every list and string is bounded here, at the boundary. Each
# bound is far above what real office work needs (the reason is next to each number) and
# low enough that the largest spec allowed is written in seconds and a few hundred MB at
# most; the aggregate bounds (cells, table text, characters) are what make that true,
# since the per-list bounds multiply.

MAX_TEXT_CHARS = 32_767
"""Longest single text (title, heading, paragraph, bullet, cell, note): Excel's own
limit for a cell, and far longer than any real paragraph."""

MAX_CONTENT_CHARS = 1_000_000
"""All the text of one document, workbook or deck: a 400-page report. Bounds the cost of
the text itself, which the count bounds leave open (10,000 paragraphs of 32,767
characters would be 300 MB)."""

MAX_SECTIONS = 1_000
"""Headed sections of a document; a long report has a few hundred."""

MAX_SECTION_ITEMS = 1_000
"""Paragraphs, and bullets, of one section."""

MAX_DOCUMENT_BLOCKS = 10_000
"""Headings, paragraphs and bullets of a whole document: a 400-page report. Writing
costs ~0.1 ms a block, so the per-section bounds alone (a million) would take minutes."""

MAX_TABLE_ROWS = 1_000
"""Rows of one document or slide table: ~25 printed pages; longer data is a workbook."""

MAX_TABLE_COLUMNS = 63
"""Columns of a document or slide table (and values in one of its rows): Word's limit."""

MAX_DOCUMENT_TABLE_CELLS = 5_000
"""Table cells in one document (~12 pages of tables), each table counted as rendered:
header included, rows padded to the widest. python-docx and fpdf2 spend 0.2-0.3 ms a cell."""

MAX_TABLE_CHARS = 50_000
"""Text in the tables of one document or deck (~12 pages of dense table): fpdf2 wraps
cell text at ~30 microseconds a character, 200 times the cost of prose."""

MAX_SHEETS = 100
"""Worksheets in a workbook; real workbooks have a handful, large models a few dozen."""

MAX_SHEET_ROWS = 50_000
"""Data rows of one worksheet: a year of daily transactions across a team."""

MAX_SHEET_COLUMNS = 200
"""Columns of one worksheet (and values in one of its rows): wide survey exports."""

MAX_WORKBOOK_CELLS = 250_000
"""Data cells of a whole workbook (5,000 rows x 50 columns), each sheet counted as rows x
its widest row: openpyxl holds every cell as an object and writes it at ~15 microseconds."""

MAX_SLIDES = 200
"""Content slides of a deck; a long training deck has about a hundred."""

MAX_SLIDE_BULLETS = 30
"""Bullets of one slide: past ~10 a slide is unreadable; 30 allows a pasted list."""

MAX_CHART_CATEGORIES = 1_000
"""Categories of a chart (and values in one series): three years of days."""

MAX_CHART_SERIES = 50
"""Series of one chart; Excel allows 255, a readable chart has a few."""

MAX_DECK_TABLE_CELLS = 2_500
"""Table cells in one deck, counted as for a document: a 5 x 5 table on 100 slides.
python-pptx spends ~0.35 ms a cell."""

MAX_DECK_CHARTS = 50
"""Charts in one deck: a chart on every fourth slide of the longest deck. Each is a chart
part plus an embedded workbook, ~17 ms to write however small."""

MAX_CHART_POINTS = 20_000
"""Chart values in one deck, each chart counted as series x its longest series."""


def _bounded_cell(value: object) -> object:
    """Refuse an over-long string before the cell's union sees it: the union would
    otherwise read a long string of digits as an (enormous) number."""
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        raise ValueError(f"a cell holds at most {MAX_TEXT_CHARS:,} characters, this one has {len(value):,}")
    return value


Text = Annotated[str, Field(max_length=MAX_TEXT_CHARS)]
"""Any text of office content: a title, heading, paragraph, bullet, name or note."""
TableCell = Annotated[Union[str, int, float], BeforeValidator(_bounded_cell)]
SheetCell = Annotated[Union[str, int, float, None], BeforeValidator(_bounded_cell)]


def _text_chars(value: object) -> int:
    """Characters of every string in ``value``: a model, a list of them, or a scalar."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, BaseModel):
        return sum(_text_chars(field) for field in value.__dict__.values())
    if isinstance(value, list):
        return sum(_text_chars(item) for item in value)
    return 0


def _at_most(whole: str, count: int, bound: int, what: str) -> None:
    """A ValueError (a validation error to pydantic) when ``count`` is over ``bound``."""
    if count > bound:
        raise ValueError(f"{whole} holds at most {bound:,} {what}; this one has {count:,}")


def _padded_cells(width: int, rows: list[list]) -> int:
    """Cells of ``rows`` once each is padded to the widest (or to ``width`` if wider)."""
    return len(rows) * max([width, *(len(row) for row in rows)])


class Table(Strict):
    columns: list[Text] = Field(max_length=MAX_TABLE_COLUMNS)
    rows: list[Annotated[list[TableCell], Field(max_length=MAX_TABLE_COLUMNS)]] = Field(
        max_length=MAX_TABLE_ROWS
    )

    @property
    def cells(self) -> int:
        """Cells as rendered: the header row and every row, padded to the widest."""
        return _padded_cells(len(self.columns), [self.columns, *self.rows])


class Section(Strict):
    heading: Text
    paragraphs: list[Text] = Field(default_factory=list, max_length=MAX_SECTION_ITEMS)
    bullets: list[Text] = Field(default_factory=list, max_length=MAX_SECTION_ITEMS)
    table: Table | None = None


def _check_tables(whole: str, tables: list[Table], max_cells: int) -> None:
    """Bound the tables of a document or deck together: their cost adds up across them."""
    _at_most(whole, sum(table.cells for table in tables), max_cells, "table cells")
    _at_most(whole, _text_chars(tables), MAX_TABLE_CHARS, "characters in tables")


class DocumentContent(Strict):
    """A DOCX or PDF: a title and headed sections of prose, lists and tables."""

    kind: Literal["document"] = "document"
    title: Text
    subtitle: Text = ""
    author: Text
    sections: list[Section] = Field(min_length=1, max_length=MAX_SECTIONS)

    @model_validator(mode="after")
    def _within_bounds(self) -> DocumentContent:
        blocks = sum(1 + len(s.paragraphs) + len(s.bullets) for s in self.sections)
        _at_most("a document", blocks, MAX_DOCUMENT_BLOCKS, "headings, paragraphs and bullets")
        tables = [s.table for s in self.sections if s.table is not None]
        _check_tables("a document", tables, MAX_DOCUMENT_TABLE_CELLS)
        _at_most("a document", _text_chars(self), MAX_CONTENT_CHARS, "characters of text")
        return self


class Column(Strict):
    name: Text
    type: Literal["text", "int", "number", "currency", "percent", "date"]


class Sheet(Strict):
    """One worksheet. Dates are ISO strings; percents are fractions (0.25 = 25%)."""

    name: str = Field(max_length=31)
    columns: list[Column] = Field(min_length=1, max_length=MAX_SHEET_COLUMNS)
    rows: list[Annotated[list[SheetCell], Field(max_length=MAX_SHEET_COLUMNS)]] = Field(
        max_length=MAX_SHEET_ROWS
    )
    total_row: bool = Field(
        default=False, description="Append a SUM formula under every int/number/currency column."
    )

    @property
    def cells(self) -> int:
        """Data cells as written: every row, padded to the widest (see ``render_xlsx``)."""
        return _padded_cells(len(self.columns), self.rows)


class WorkbookContent(Strict):
    kind: Literal["workbook"] = "workbook"
    title: Text
    author: Text
    sheets: list[Sheet] = Field(min_length=1, max_length=MAX_SHEETS)

    @model_validator(mode="after")
    def _within_bounds(self) -> WorkbookContent:
        cells = sum(sheet.cells for sheet in self.sheets)
        _at_most("a workbook", cells, MAX_WORKBOOK_CELLS, "data cells (rows x widest row, all sheets)")
        _at_most("a workbook", _text_chars(self), MAX_CONTENT_CHARS, "characters of text")
        return self


class Series(Strict):
    name: Text
    values: list[float] = Field(max_length=MAX_CHART_CATEGORIES)


class Chart(Strict):
    title: Text
    categories: list[Text] = Field(max_length=MAX_CHART_CATEGORIES)
    series: list[Series] = Field(min_length=1, max_length=MAX_CHART_SERIES)

    @property
    def points(self) -> int:
        """Values once every series is padded to the longest (categories included)."""
        return len(self.series) * max([len(self.categories), *(len(s.values) for s in self.series)])


class Slide(Strict):
    title: Text
    bullets: list[Text] = Field(default_factory=list, max_length=MAX_SLIDE_BULLETS)
    table: Table | None = None
    chart: Chart | None = None
    notes: Text = ""


class DeckContent(Strict):
    kind: Literal["deck"] = "deck"
    title: Text
    subtitle: Text = ""
    author: Text
    slides: list[Slide] = Field(min_length=1, max_length=MAX_SLIDES)

    @model_validator(mode="after")
    def _within_bounds(self) -> DeckContent:
        _check_tables("a deck", [s.table for s in self.slides if s.table is not None], MAX_DECK_TABLE_CELLS)
        charts = [s.chart for s in self.slides if s.chart is not None]
        _at_most("a deck", len(charts), MAX_DECK_CHARTS, "charts")
        _at_most("a deck", sum(chart.points for chart in charts), MAX_CHART_POINTS, "chart values")
        _at_most("a deck", _text_chars(self), MAX_CONTENT_CHARS, "characters of text")
        return self


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
    warnings: list[str] = Field(default_factory=list, description=(
        "What was degraded while creating it: a model's answer that stayed invalid, and what was used instead."))


# --------------------------------------------------------------------------- simulation


OutputType = Literal["docx", "xlsx", "pptx", "pdf", "csv", "md"]
"""What a deliverable's outputs may be: the types the work agent can write and the judge can read."""


class OutputArtifact(Strict):
    """A file a deliverable must produce, at a path in the user's tree (OS style)."""

    path: str
    artifact_type: OutputType
    description: str = ""


MILESTONES = (("inputs", 0.3), ("analysis", 0.45), ("draft", 0.6), ("review", 0.8), ("final", 1.0))
"""A deliverable's milestones and how far from its assignment to its due day each falls."""


class Deliverable(Strict):
    """One month-long work package (paper 3.1.1)."""

    id: str
    title: str
    outcome: str = Field(description="The professional outcome, in a sentence or two.")
    weekly_progress: list[str] = Field(default_factory=list, description="Expected progress, week by week.")
    outputs: list[OutputArtifact] = Field(min_length=1)
    sources: list[str] = Field(default_factory=list, description="Existing files it must draw on (OS-style paths).")
    needs: list[str] = Field(default_factory=list, description=(
        "What it draws on, as a colleague would name it; the work agent finds the files (it is not shown `sources`)."))
    depends_on: list[str] = Field(default_factory=list, description="Ids of deliverables it builds on.")
    collaborators: list[str] = Field(default_factory=list, description="Names of collaborators it needs.")
    reviewers: list[str] = Field(default_factory=list, description=(
        "Who signs it off (1-3 of its collaborators); empty: any of its collaborators."))
    opens_day: int = Field(0, ge=0, description="The workday it is assigned: the work agent sees it from then on.")
    due_day: int | None = Field(None, ge=0, description="The workday its final version is due, as first set.")

    def milestones(self) -> dict[str, int]:
        """The workday each milestone should be met by, spread from the day it is assigned to
        the day it is due (none without a due day)."""
        if self.due_day is None:
            return {}
        span = max(0, self.due_day - self.opens_day)
        return {name: self.opens_day + round(span * share) for name, share in MILESTONES}

    def as_assigned(self) -> Deliverable:
        """The objective as the work agent is given it: what it needs, not where it is."""
        return self.model_copy(update={"sources": []})


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


class RequestedChange(Strict):
    """One change a reviewer asked for, in a form the judge can check."""

    kind: Literal["section", "figure"]
    target: str = Field(description="A coverage topic, or the id of a truth figure.")
    text: str = Field(description="How the reviewer put it.")
    what: str = Field("", description="What to add, as the deliverable should have it: the section asked "
                                       "for, or the figure's sentence (the text names it).")


class PendingFact(Strict):
    """Something a collaborator cannot give yet: it does not exist, or they are still confirming it."""

    what: str = Field(description="What is pending, as the reply words it.")
    day: int = Field(ge=0, description="The workday from which asking again gets it.")
    date: str = Field("", description="That workday's date (YYYY-MM-DD).")


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
    requested_changes: list[RequestedChange] = Field(
        default_factory=list, description="The changes a reviewer asks of an attached draft (the body words them).")
    pending: list[PendingFact] = Field(
        default_factory=list, description="What the sender could not give yet, and from when to ask again.")
    question: str = Field("", description="A question the sender needs answered before they can help.")


EventKind = Literal["new_requirement", "moved_deadline", "revised_figure"]


class SimEvent(Strict):
    """A collaborator changing their mind mid-month (beyond the paper): seeded and recorded."""

    day: int = Field(ge=0)
    collaborator: str
    kind: EventKind
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


CriterionKind = Literal["figures", "coverage", "integrity", "revisions", "visual", "signoff"]
"""What a criterion checks; ``synthcomp.agents.criteria`` holds one module per kind."""


class Criterion(Strict):
    """One thing a good set of deliverables satisfies (paper 4.2.1). Weight 0 = a gate or logged only."""

    id: str
    text: str
    weight: float = Field(1.0, ge=0)
    deliverable: str
    kind: CriterionKind
    path: str = Field(description="The output file it is checked on (OS-style).")
    expect: list[str] = Field(default_factory=list, description=(
        "figures: ids of the truth's figures; coverage: topics; revisions: 'section:<topic>' or "
        "'figure:<id>'; visual: the elements the file needs; signoff: the reviewers who must sign off "
        "(names) and each sign-off given ('<name>:<digest of the version>')."))
    low: int = Field(0, ge=0, description="visual: fewest pages/slides.")
    high: int = Field(0, ge=0, description="visual: most pages/slides (0: not checked).")
    before: str = Field("", description="revisions: digest of the text the reviewer saw.")


class Rubric(Strict):
    criteria: list[Criterion] = Field(min_length=1)
    drafts: int = Field(1, ge=1, description="How many draft rubrics were merged into this one.")


class CriterionResult(Strict):
    id: str
    score: float = Field(ge=0, le=1)
    weight: float
    evidence: str
    spans: list[str] = Field(default_factory=list, description="Quoted rows, sentences or headings it rests on.")
    skipped: bool = False


class Judgement(Strict):
    score: float = Field(ge=0, le=1)
    criteria: list[CriterionResult]
    summary: str
    judge: str


class Review(Strict):
    """A draft sent for review: which version the reviewer saw and what they asked for."""

    path: str
    reviewer: str
    day: int
    digest: str
    changes: list[RequestedChange] = Field(default_factory=list)


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


# --------------------------------------------------------------------------- simulation summary

class FinishedSim(Strict):
    """summary.json of a finished simulation (paper Table 3's measures for one run)."""

    status: Literal["finished"] = "finished"
    sim_id: str
    days: int
    turns: int
    planning_turns: int
    messages_sent: int
    messages_received: int
    files_shared_to_user: int
    files_created: int
    files_revised: int
    files_start: int = Field(0, description="Files on the computer before the month (paper Table 1: 111.6).")
    files_end: int = Field(0, description="Files after it (paper: 197.4).")
    new_folders: int = Field(0, description="Folders the month added (paper: 30.4 -> 36.0 directories).")
    milestones_on_time: int = Field(0, description="Milestones met by their day (env/milestones.py).")
    milestones_due: int = Field(0, description="Milestones the month's deliverables had.")
    score: float = Field(ge=0, le=1)
    env_seconds: float
    policy_seconds: float
    collaborators: int
    usage: dict[str, Any] = Field(default_factory=dict)


class StoppedSim(Strict):
    """summary.json of a simulation its model budget stopped; re-running resumes it."""

    status: Literal["stopped"] = "stopped"
    sim_id: str
    reason: str
    last_finished_day: int | None
    days: int
    sim_dir: str
    usage: dict[str, Any] = Field(default_factory=dict)


SimSummary = Annotated[Union[FinishedSim, StoppedSim], Field(discriminator="status")]


def parse_summary(data: dict[str, Any]) -> FinishedSim | StoppedSim:
    """A summary.json's content; one written before ``status`` existed says ``"stopped": "budget"``
    when stopped and nothing when finished."""
    if "status" not in data:
        data = {k: v for k, v in data.items() if k != "stopped"} | {"status": "stopped" if data.get("stopped") else "finished"}
    return TypeAdapter(SimSummary).validate_python(data)
