"""What a fleet of 50 computers must look like (issue: "What must hold")."""

from __future__ import annotations

import calendar
import io
import json
import re
import zipfile
from pathlib import Path

import networkx as nx
import openpyxl
import pptx
from docx import Document
from typer.testing import CliRunner

from synthcomp import measures, ospath
from synthcomp.cli import app
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.computer.graph import creation_order, plan_graph
from synthcomp.models import Computer


def _physical(directory: Path, computer: Computer, logical: str) -> Path:
    return directory / "files" / ospath.to_physical(computer.policy.os, logical)


def test_stats_json_matches_the_papers_table_1(fleet: Path) -> None:
    result = CliRunner().invoke(app, ["stats", str(fleet), "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert set(stats) == {"computers", "files", "dirs", "avg_depth", "max_depth", "ext_share", "size_kb"}
    assert stats["computers"] == 50
    files = stats["files"]
    assert 90 <= files["mean"] <= 140 and files["min"] >= 60 and files["max"] > 250
    assert 75 <= files["median"] <= 105
    assert 22 <= stats["dirs"]["mean"] <= 40
    assert 2.8 <= stats["avg_depth"]["mean"] <= 4.0
    assert 4.5 <= stats["max_depth"]["mean"] <= 6.5
    shares = stats["ext_share"]
    assert 0.30 <= shares["docx"] <= 0.40
    assert 0.60 <= sum(shares.get(e, 0) for e in ("docx", "xlsx", "pdf", "pptx")) <= 0.75
    assert {"mean", "median", "p95"} == set(stats["size_kb"]["docx"])


def test_every_office_file_opens_and_every_pdf_has_pages(fleet_computers: list[tuple[Path, Computer]]) -> None:
    openers = {"docx": Document, "xlsx": openpyxl.load_workbook, "pptx": pptx.Presentation}
    for directory, computer in fleet_computers[:12]:
        for f in computer.plan.files:
            path = _physical(directory, computer, f.path)
            if f.artifact_type in openers:
                openers[f.artifact_type](str(path))
            elif f.artifact_type == "pdf":
                assert re.search(rb"/Type\s*/Page[^s]", path.read_bytes()), path


def test_plan_graph_is_a_dag_and_sources_come_first(fleet_computers: list[tuple[Path, Computer]]) -> None:
    for directory, computer in fleet_computers:
        graph = plan_graph(computer.plan)
        assert nx.is_directed_acyclic_graph(graph)
        order = {f.id: i for i, f in enumerate(creation_order(computer.plan))}
        by_id = {f.id: f for f in computer.plan.files}
        for edge in computer.plan.edges:
            assert order[edge.source] < order[edge.target]
            assert by_id[edge.source].timestamp <= by_id[edge.target].timestamp
        for f in computer.plan.files:
            mtime = _physical(directory, computer, f.path).stat().st_mtime
            assert int(mtime) == calendar.timegm(f.timestamp.timetuple()), f.path


def test_every_planned_file_exists_and_nothing_else(fleet_computers: list[tuple[Path, Computer]]) -> None:
    for directory, computer in fleet_computers[:10]:
        planned = {str(ospath.to_physical(computer.policy.os, f.path)) for f in computer.plan.files}
        on_disk = {p.relative_to(directory / "files").as_posix() for p in (directory / "files").rglob("*") if p.is_file()}
        assert planned == on_disk


def test_both_os_layouts(fleet_computers: list[tuple[Path, Computer]]) -> None:
    oses = {c.policy.os for _, c in fleet_computers}
    assert oses == {"windows", "macos"}
    for directory, computer in fleet_computers:
        user = computer.profile.username
        if computer.policy.os == "windows":
            assert (directory / "files" / "drives" / "C" / "Users" / user).is_dir()
            assert all(re.match(r"^[A-Z]:\\", f.path) for f in computer.plan.files)
        else:
            assert (directory / "files" / "Users" / user).is_dir()
            assert all(f.path.startswith(f"/Users/{user}/") for f in computer.plan.files)


def test_folder_trees_follow_every_organization_style(fleet_computers: list[tuple[Path, Computer]]) -> None:
    styles = {c.profile.organization_style for _, c in fleet_computers}
    assert styles == {"by_project", "by_client", "by_date", "by_type", "flat_messy"}


def test_derived_report_quotes_the_totals_of_its_workbook(fleet_computers: list[tuple[Path, Computer]]) -> None:
    checked = 0
    for directory, computer in fleet_computers:
        by_id = {f.id: f for f in computer.plan.files}
        for edge in computer.plan.edges:
            src, dst = by_id[edge.source], by_id[edge.target]
            if edge.kind != "derived_from" or src.artifact_type != "xlsx" or dst.artifact_type != "docx":
                continue
            sheet = openpyxl.load_workbook(_physical(directory, computer, src.path)).worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            text = extract_text("docx", _physical(directory, computer, dst.path).read_bytes())
            data = [r for r in rows[1:] if r[0] != "Total"]
            for col in range(2, len(rows[0])):
                values = [r[col] for r in data if isinstance(r[col], (int, float))]
                if values:  # summed or averaged as the label says, quoted with its currency
                    label = rows[0][col]
                    how, currency = measures.how_to_total(label), measures.currency_of(label)
                    decimals = measures.decimals_for(values, how, currency)
                    quoted = measures.quote(round(measures.total(values, how), decimals), decimals, currency)
                    assert quoted in text, (dst.path, label, quoted)
            checked += 1
    assert checked >= 20


def test_later_version_is_a_real_revision(fleet_computers: list[tuple[Path, Computer]]) -> None:
    checked = 0
    for directory, computer in fleet_computers[:20]:
        by_id = {f.id: f for f in computer.plan.files}
        for edge in computer.plan.edges:
            src, dst = by_id[edge.source], by_id[edge.target]
            if edge.kind != "later_version_of" or src.artifact_type != "docx":
                continue
            old = extract_text("docx", _physical(directory, computer, src.path).read_bytes())
            new = extract_text("docx", _physical(directory, computer, dst.path).read_bytes())
            old_lines, new_lines = set(old.splitlines()), set(new.splitlines())
            assert old != new
            assert len(old_lines & new_lines) >= 0.5 * len(old_lines)
            checked += 1
    assert checked >= 5


def test_extracted_files_are_the_archive_members(fleet_computers: list[tuple[Path, Computer]]) -> None:
    checked = 0
    for directory, computer in fleet_computers:
        by_id = {f.id: f for f in computer.plan.files}
        for edge in computer.plan.edges:
            if edge.kind != "extracted_from":
                continue
            archive = zipfile.ZipFile(io.BytesIO(_physical(directory, computer, by_id[edge.source].path).read_bytes()))
            member = by_id[edge.target]
            name = ospath.name(computer.policy.os, member.path)
            assert archive.read(name) == _physical(directory, computer, member.path).read_bytes()
            checked += 1
    assert checked >= 3
