"""Every supported kind renders to non-blank PNGs whose count matches the PDF's pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from synthcomp.render import RenderConfig, Renderer
from tests.render.conftest import assert_not_blank, pdfinfo_pages

# the page counts the samples are built to have (xlsx: two sheets, each fitted to one page wide)
EXPECTED_PAGES = {"docx": 3, "xlsx": 2, "pptx": 4, "pdf": 3, "csv": 1, "md": 1, "txt": 1, "png": 1}


@pytest.mark.parametrize("kind", sorted(EXPECTED_PAGES))
def test_each_kind_renders_non_blank_pages_matching_its_pdf(
    kind: str, samples: dict[str, Path], renderer: Renderer, tmp_path: Path
) -> None:
    result = renderer.render(samples[kind], tmp_path)
    assert result.ok, result.error
    assert result.out_dir == tmp_path / samples[kind].name
    assert result.page_count == EXPECTED_PAGES[kind]
    assert len(result.pages) == result.page_count
    assert [p.name for p in result.pages] == [f"page-{i:03d}.png" for i in range(1, result.page_count + 1)]
    if kind == "png":
        assert result.pdf is None and result.kind == "image"
    else:
        assert result.pdf is not None and pdfinfo_pages(result.pdf) == result.page_count
        if kind != "pdf":
            assert result.pdf == result.out_dir / "document.pdf"
    for page in result.pages:
        assert_not_blank(page)
    assert result.contact_sheet is not None
    assert_not_blank(result.contact_sheet)


def test_dpi_sets_the_page_size(samples: dict[str, Path], tmp_path: Path) -> None:
    with Renderer(RenderConfig(dpi=50)) as low:
        result = low.render(samples["pdf"], tmp_path)  # A4: 8.27 x 11.69 in
    assert result.ok, result.error
    with Image.open(result.pages[0]) as im:
        assert abs(im.width - 414) <= 2 and abs(im.height - 585) <= 2


def test_render_many_keeps_order_and_matches_render(samples: dict[str, Path], renderer: Renderer,
                                                    tmp_path: Path) -> None:
    files = [samples[k] for k in ("pptx", "png", "docx", "pdf", "csv")]
    results = renderer.render_many(files, tmp_path)
    assert [r.source for r in results] == files
    assert [r.page_count for r in results] == [4, 1, 3, 3, 1]
    assert all(r.ok and len(r.pages) == r.page_count for r in results)


def test_the_same_name_twice_gets_two_folders(samples: dict[str, Path], renderer: Renderer, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere" / samples["md"].name
    other.parent.mkdir()
    other.write_text("# A different file with the same name\n")
    first = renderer.render(samples["md"], tmp_path / "out")
    second = renderer.render(other, tmp_path / "out")
    assert first.out_dir == tmp_path / "out" / "notes.md"
    assert second.out_dir == tmp_path / "out" / "notes.md-2"
    assert first.pages[0].exists() and second.pages[0].exists()


def test_generated_computer_files_render(tmp_path: Path, renderer: Renderer) -> None:
    """Real artifacts from `synthcomp create`: one of each office kind and a PDF."""
    from synthcomp.fleet.batch import CreateRequest, create_computers

    create_computers(CreateRequest.from_cli(out=tmp_path / "ws", n=1, seed=3, os_name="windows",
                                            personas=None, workers=1))
    picked = []
    for suffix in (".docx", ".xlsx", ".pptx", ".pdf"):
        found = sorted(p for p in (tmp_path / "ws").rglob(f"*{suffix}") if not p.name.startswith("~$"))
        picked += found[:1]
    assert {p.suffix for p in picked} >= {".docx", ".xlsx", ".pdf"}
    for result in renderer.render_many(picked, tmp_path / "out"):
        assert result.ok, f"{result.source.name}: {result.error}"
        assert result.pdf is not None and pdfinfo_pages(result.pdf) == result.page_count
        assert len(result.pages) == min(result.page_count, renderer.config.max_pages)
        for page in result.pages:
            assert_not_blank(page)
