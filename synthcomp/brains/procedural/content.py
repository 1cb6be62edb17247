"""Planned file + its predecessors -> content, procedurally (paper 2.3).

The dependency graph is what keeps files consistent: a report derived from a workbook
quotes that workbook's column totals (the same numbers its SUM formulas compute), a deck
charts them, a CSV export holds the workbook's rows, a later version is an edit of the
earlier one, and a file extracted from an archive is the archive's member.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from synthcomp import measures, ospath
from synthcomp.brains.base import ArtifactContext, Predecessor
from synthcomp.brains.procedural.prose import SECTION_HEADINGS, Voice
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.errors import BrainError
from synthcomp.models import (
    ArchiveContent, ArchiveMember, ArtifactContent, Chart, Column, DeckContent, DocumentContent, ImageContent,
    Industry, PlannedFile, Section, Series, Sheet, Slide, SystemContent, Table, TextContent, WorkbookContent,
)

NUMERIC = {"int", "number", "currency"}


def column_totals(book: WorkbookContent) -> list[tuple[Column, float, int]]:
    """Totals of the first sheet's numeric columns: what its Total row evaluates to (a sum
    or a mean, by :func:`synthcomp.measures.how_to_total`), rounded to the decimals they
    are quoted with: (column, total, decimals)."""
    sheet = book.sheets[0]
    totals = []
    for i, col in enumerate(sheet.columns):
        if col.type in NUMERIC:
            values = [float(r[i]) for r in sheet.rows if isinstance(r[i], (int, float))]
            how = measures.how_to_total(col.name)
            decimals = measures.decimals_for(values, how, measures.currency_of(col.name))
            totals.append((col, round(measures.total(values, how), decimals) + 0.0, decimals))  # + 0.0: no -0.0
    return totals


def format_value(col: Column, value: float, decimals: int) -> str:
    """How a total is quoted in prose: thousands separators; money with the currency code
    its column is labelled with (the truth quotes it the same way)."""
    return measures.quote(value, decimals, measures.currency_of(col.name))


def total_word(col: Column) -> str:
    """'total' or 'average': what a column's Total row holds."""
    return "total" if measures.how_to_total(col.name) == "sum" else "average"


class ContentWriter:
    """Writes the content of one planned file."""

    def __init__(self, file: PlannedFile, ctx: ArtifactContext, industry: Industry, seed: int):
        self.file, self.ctx, self.industry = file, ctx, industry
        self.rng = rng_for(seed, "content", file.id)
        self.seed = seed
        project = next((p for p in ctx.profile.active_projects if p.code == file.project), None)
        self.project = project
        self.voice = Voice(self.rng, ctx.profile, industry, project, doc=file.title.split(" ")[0])

    def _pred(self, kind: str, content_kind: str | None = None) -> Predecessor | None:
        return next((p for p in self.ctx.predecessors
                     if p.kind == kind and (content_kind is None or p.content.kind == content_kind)), None)

    def _workbook(self) -> WorkbookContent | None:
        pred = self._pred("derived_from", "workbook")
        return pred.content if pred and isinstance(pred.content, WorkbookContent) else None

    def write(self) -> ArtifactContent:
        f = self.file
        if f.content_mode == "system":
            return self._system()
        if f.content_mode == "extract":
            return self._extracted()
        if f.content_mode == "copy":
            pred = self._pred("derived_from")
            if pred is None:
                raise BrainError(f"{f.path}: a copy needs the file it copies")
            return pred.content
        writer = {
            "docx": self._document, "pdf": self._document, "xlsx": self._workbook_content, "pptx": self._deck,
            "csv": self._csv, "md": self._notes, "txt": self._notes, "eml": self._email, "json": self._json,
            "py": self._script, "png": self._image, "jpg": self._image, "zip": self._archive,
        }[f.artifact_type]
        return writer()

    # ---------------------------------------------------------------- documents
    def _document(self) -> DocumentContent:
        previous = self._pred("later_version_of", "document")
        if previous is not None:
            return self._revise(previous.content)  # type: ignore[arg-type]
        exported = self._pred("derived_from", "document")
        if exported is not None:
            return exported.content  # type: ignore[return-value]
        profile, rng = self.ctx.profile, self.rng
        sections = [Section(heading="Purpose", paragraphs=[self.voice.paragraph()])]
        book = self._workbook()
        if book is not None:
            sections.append(self._key_figures(book))
        headings = rng.sample(SECTION_HEADINGS, k=rng.randint(2, 5))
        for heading in headings:
            section = Section(heading=heading, paragraphs=[self.voice.paragraph() for _ in range(rng.randint(1, 3))])
            if heading in {"Recommendations", "Next steps", "Risks and issues"}:
                section.bullets = self.voice.bullets()
            elif heading in {"Budget", "Analysis", "Current status"} and book is None:
                section.table = self._entity_table(rng.randint(4, 8))
            sections.append(section)
        refs = [p for p in self.ctx.predecessors if p.kind == "references"]
        if refs:
            sections.append(Section(heading="References", bullets=[
                f"{p.file.title} ({ospath.name(self.ctx.policy.os, p.file.path)})" for p in refs]))
        return DocumentContent(
            title=self.file.title, subtitle=f"{profile.organization} - {self.file.timestamp:%B %Y}",
            author=profile.full_name if self.file.origin == "self" else rng.choice(profile.collaborators).name,
            sections=sections,
        )

    def _key_figures(self, book: WorkbookContent) -> Section:
        totals = column_totals(book)
        quoted = "; ".join(f"{total_word(col)} {col.name.lower()} {format_value(col, v, n)}" for col, v, n in totals)
        return Section(
            heading="Key figures",
            paragraphs=[f"The figures below are the totals and averages of the '{book.sheets[0].name}' sheet of "
                        f"{book.title}: {quoted}."],
            table=Table(columns=["Measure", "Total or average"],
                        rows=[[col.name, format_value(col, v, n)] for col, v, n in totals]),
        )

    def _revise(self, earlier: DocumentContent) -> DocumentContent:
        """A real revision: the earlier text, edited, plus what changed since."""
        rng = self.rng
        sections = [s.model_copy(deep=True) for s in earlier.sections]
        editable = [s for s in sections if s.paragraphs and s.heading != "Key figures"]
        if editable:
            target = rng.choice(editable)
            target.paragraphs[rng.randrange(len(target.paragraphs))] = self.voice.paragraph()
        sections.append(Section(heading="Changes in this version", bullets=self.voice.bullets(rng.randint(2, 4))))
        return earlier.model_copy(update={"sections": sections, "subtitle": f"{earlier.subtitle} (revised {self.file.timestamp:%d %b %Y})"})

    def _entity_table(self, rows: int) -> Table:
        metrics = self.rng.sample(self.industry.metrics, k=min(3, len(self.industry.metrics)))
        entities = self.rng.sample(self.industry.entities, k=min(rows, len(self.industry.entities)))
        return Table(
            columns=["Item", *[self._metric_label(m) for m in metrics]],
            rows=[[e, *[round(self.rng.uniform(m.low, m.high), m.decimals) for m in metrics]] for e in entities],
        )

    # ---------------------------------------------------------------- workbooks
    def _workbook_content(self) -> WorkbookContent:
        previous = self._pred("later_version_of", "workbook")
        if previous is not None:
            return self._revise_workbook(previous.content)  # type: ignore[arg-type]
        raw = self._pred("derived_from", "text")
        rng = self.rng
        data = self._data_sheet(raw.content.text if raw else None)  # type: ignore[union-attr]
        metric_idx = [i for i, c in enumerate(data.columns) if c.type in NUMERIC]
        groups: dict[str, list[list[float]]] = {}
        for row in data.rows:
            acc = groups.setdefault(str(row[0]), [[] for _ in metric_idx])
            for j, i in enumerate(metric_idx):
                acc[j].append(float(row[i] or 0))
        hows = [measures.how_to_total(data.columns[i].name) for i in metric_idx]
        summary = Sheet(
            name="Summary",
            columns=[Column(name=data.columns[0].name, type="text"),
                     *[Column(name=data.columns[i].name, type=data.columns[i].type if data.columns[i].type != "int" else "number") for i in metric_idx]],
            rows=[[k, *[round(measures.total(v, how), 2) for v, how in zip(vals, hows)]] for k, vals in sorted(groups.items())],
            total_row=True,
        )
        notes = Sheet(name="Notes", columns=[Column(name="Item", type="text"), Column(name="Note", type="text")], rows=[
            ["Owner", self.ctx.profile.full_name], ["Project", self.project.name if self.project else "General"],
            ["Source", "Raw export" if raw else "Manual entry and system reports"],
            ["Last updated", f"{self.file.timestamp:%Y-%m-%d}"], ["Assumptions", self.voice.sentence()],
        ])
        sheets = [data, summary, notes] if rng.random() < 0.8 else [data, summary]
        return WorkbookContent(title=self.file.title, author=self.ctx.profile.full_name, sheets=sheets)

    def _data_sheet(self, raw_csv: str | None) -> Sheet:
        if raw_csv:
            reader = list(csv.reader(io.StringIO(raw_csv)))
            header, body = reader[0], reader[1:]
            columns = [Column(name=header[0], type="text"), Column(name=header[1], type="date"),
                       *[Column(name=h, type="number") for h in header[2:]]]
            rows = [[r[0], r[1], *[float(x) for x in r[2:]]] for r in body]
            return Sheet(name="Data", columns=columns, rows=rows, total_row=True)
        header, rows = self._generate_rows()
        columns = [Column(name=header[0], type="text"), Column(name=header[1], type="date")]
        for m in self._metrics:
            columns.append(Column(name=self._metric_label(m), type="currency" if m.unit == "currency" else ("int" if m.decimals == 0 else "number")))
        return Sheet(name="Data", columns=columns, rows=rows, total_row=True)

    def _metric_label(self, m) -> str:
        """'Turbidity (NTU)', 'Contract value (EUR)': the unit a reader needs, money by its currency."""
        if m.unit == "currency":
            return f"{m.name} ({self.ctx.profile.currency})"
        return f"{m.name} ({m.unit})" if m.unit else m.name

    @property
    def _metrics(self):
        return rng_for(self.seed, "metrics", self.file.id).sample(self.industry.metrics, k=min(len(self.industry.metrics), 3))

    def _generate_rows(self) -> tuple[list[str], list[list]]:
        rng = self.rng
        entities = rng.sample(self.industry.entities, k=min(len(self.industry.entities), rng.randint(4, 8)))
        start = self.file.timestamp - timedelta(days=rng.randint(60, 200))
        rows = []
        for i in range(rng.randint(18, 90)):
            day = start + timedelta(days=i * rng.randint(1, 3))
            rows.append([rng.choice(entities), f"{day:%Y-%m-%d}",
                         *[(round(rng.uniform(m.low, m.high), m.decimals) if m.decimals else int(rng.uniform(m.low, m.high)))
                           for m in self._metrics]])
        return ["Item", "Date"], rows

    def _revise_workbook(self, earlier: WorkbookContent) -> WorkbookContent:
        """The next version: newer rows appended (recent readings), one row corrected."""
        data = earlier.sheets[0].model_copy(deep=True)
        rng = self.rng
        if data.rows:
            for template in rng.sample(data.rows, k=min(len(data.rows), rng.randint(3, 10))):
                row = list(template)
                for i, col in enumerate(data.columns):
                    if col.type in NUMERIC and isinstance(row[i], (int, float)):
                        row[i] = int(row[i] * rng.uniform(0.9, 1.1)) if col.type == "int" else round(row[i] * rng.uniform(0.9, 1.1), 2)
                    elif col.type == "date":
                        row[i] = f"{self.file.timestamp - timedelta(days=rng.randint(1, 20)):%Y-%m-%d}"
                data.rows.append(row)
        return earlier.model_copy(update={"sheets": [data, *earlier.sheets[1:]]})

    # ---------------------------------------------------------------- decks
    def _deck(self) -> DeckContent:
        previous = self._pred("later_version_of", "deck")
        if previous is not None:
            earlier: DeckContent = previous.content  # type: ignore[assignment]
            return earlier.model_copy(update={"slides": [*earlier.slides, Slide(title="Changes since last review", bullets=self.voice.bullets(3))]})
        book, rng, profile = self._workbook(), self.rng, self.ctx.profile
        slides = [Slide(title="Agenda", bullets=rng.sample(SECTION_HEADINGS, k=4)),
                  Slide(title="Context", bullets=[self.voice.sentence() for _ in range(3)], notes=self.voice.sentence())]
        if book is not None:
            summary = book.sheets[1] if len(book.sheets) > 1 else book.sheets[0]
            first_metric = next(i for i, c in enumerate(summary.columns) if c.type in NUMERIC)
            slides.append(Slide(title=f"{summary.columns[first_metric].name} by {summary.columns[0].name.lower()}", chart=Chart(
                title=summary.columns[first_metric].name, categories=[str(r[0]) for r in summary.rows][:10],
                series=[Series(name=summary.columns[first_metric].name, values=[float(r[first_metric]) for r in summary.rows][:10])])))
            slides.append(Slide(title="Key figures", table=Table(columns=["Measure", "Total or average"], rows=[
                [c.name, format_value(c, v, n)] for c, v, n in column_totals(book)])))
        else:
            slides.append(Slide(title="Status by item", table=self._entity_table(5)))
        for heading in rng.sample(["Findings", "Risks", "Options", "Recommendations", "Timeline"], k=rng.randint(2, 4)):
            slides.append(Slide(title=heading, bullets=self.voice.bullets(), notes=self.voice.sentence()))
        slides.append(Slide(title="Next steps", bullets=self.voice.bullets(3)))
        return DeckContent(title=self.file.title, subtitle=f"{profile.organization} | {self.file.timestamp:%B %Y}",
                           author=profile.full_name, slides=slides)

    # ---------------------------------------------------------------- text files
    def _csv(self) -> TextContent:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        book = self._workbook()
        if book is not None:
            sheet = book.sheets[0]
            writer.writerow([c.name for c in sheet.columns])
            writer.writerows(sheet.rows)
        else:
            header, rows = self._generate_rows()
            writer.writerow([*header, *[self._metric_label(m) for m in self._metrics]])
            writer.writerows(rows)
        return TextContent(text=out.getvalue())

    def _notes(self) -> TextContent:
        f, rng = self.file, self.rng
        md = f.artifact_type == "md"
        lines = [f"# {f.title}" if md else f.title, "", f"{f.timestamp:%Y-%m-%d}", ""]
        lines += [("- " if md else "* ") + b for b in self.voice.bullets(rng.randint(4, 7))]
        lines += ["", self.voice.paragraph()]
        refs = [p for p in self.ctx.predecessors if p.kind == "references"]
        if refs:
            lines += ["", "## Files" if md else "Files:"]
            lines += [f"- {p.file.path}" for p in refs]
        return TextContent(text="\n".join(lines) + "\n")

    def _email(self) -> TextContent:
        profile, rng, f = self.ctx.profile, self.rng, self.file
        sender = rng.choice(profile.collaborators) if profile.collaborators else None
        attached = [p.file for p in self.ctx.predecessors if p.kind == "references"]
        body = [f"Hi {profile.first_name},", "", self.voice.paragraph()]
        if attached:
            body += ["", "Attached: " + ", ".join(ospath.name(self.ctx.policy.os, a.path) for a in attached)]
        body += ["", "Best regards,", sender.name if sender else "Team"]
        headers = [
            f"From: {sender.name if sender else 'Team'} <{sender.email if sender else 'team@example.org'}>",
            f"To: {profile.full_name} <{profile.email}>", f"Date: {f.timestamp:%a, %d %b %Y %H:%M:%S} +0000",
            f"Subject: {f.title}", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
        ]
        return TextContent(text="\n".join(headers) + "\n\n" + "\n".join(body) + "\n")

    def _json(self) -> TextContent:
        book = self._workbook()
        if book is not None:
            data = {"source": book.title, "generated": f"{self.file.timestamp:%Y-%m-%dT%H:%M:%S}",
                    "totals": {c.name: v for c, v, _ in column_totals(book)}}
        else:
            data = {"project": self.project.code if self.project else None, "owner": self.ctx.profile.username,
                    "settings": {"currency": self.ctx.profile.currency, "sites": self.rng.sample(self.industry.entities, 3)}}
        return TextContent(text=json.dumps(data, indent=2, sort_keys=True) + "\n")

    def _script(self) -> TextContent:
        data = next((p.file for p in self.ctx.predecessors if p.kind == "references"), None)
        source = ospath.name(self.ctx.policy.os, data.path) if data else "data.csv"
        return TextContent(text=(
            f'"""{self.file.title}: totals per item from {source}."""\n\nimport csv\nfrom collections import defaultdict\n\n'
            f"totals = defaultdict(float)\nwith open({source!r}, newline='') as fh:\n    reader = csv.reader(fh)\n"
            "    header = next(reader)\n    for row in reader:\n        totals[row[0]] += float(row[2])\n\n"
            "for item, total in sorted(totals.items()):\n    print(f'{item}: {total:,.2f}')\n"
        ))

    # ---------------------------------------------------------------- images, archives, noise
    def _image(self) -> ImageContent:
        book = self._workbook()
        if book is not None:
            col, _, _ = column_totals(book)[0]
            sheet = book.sheets[1] if len(book.sheets) > 1 else book.sheets[0]
            idx = [c.name for c in sheet.columns].index(col.name) if col.name in [c.name for c in sheet.columns] else 1
            return ImageContent(style="chart", title=self.file.title, chart=Chart(
                title=col.name, categories=[str(r[0]) for r in sheet.rows][:8],
                series=[Series(name=col.name, values=[float(r[idx] or 0) for r in sheet.rows][:8])]))
        if self.file.artifact_type == "jpg":
            return ImageContent(style="scan", title=self.file.title, lines=[self.file.title, "", *[self.voice.sentence() for _ in range(6)]])
        return ImageContent(style="screenshot", title=self.rng.choice(self.ctx.profile.preferred_tools),
                            lines=[self.voice.sentence() for _ in range(5)])

    def _archive(self) -> ArchiveContent:
        members = []
        for member in self.ctx.archive_members:
            content = ContentWriter(member.model_copy(update={"content_mode": "synthesize"}), ArtifactContext(
                profile=self.ctx.profile, policy=self.ctx.policy), self.industry, self.seed).write()
            members.append(ArchiveMember(name=ospath.name(self.ctx.policy.os, member.path), content=content))
        return ArchiveContent(members=members)

    def _extracted(self) -> ArtifactContent:
        pred = self._pred("extracted_from", "archive")
        name = ospath.name(self.ctx.policy.os, self.file.path)
        if pred is not None:
            for member in pred.content.members:  # type: ignore[union-attr]
                if member.name == name:
                    return member.content
        raise BrainError(f"{self.file.path}: not found in the archive it is extracted from")

    def _system(self) -> SystemContent:
        name = ospath.name(self.ctx.policy.os, self.file.path)
        flavor = ("office_lock" if name.startswith("~$") else "thumbs_db" if name == "Thumbs.db"
                  else "desktop_ini" if name == "desktop.ini" else "ds_store")
        return SystemContent(flavor=flavor, owner=self.ctx.profile.full_name)
