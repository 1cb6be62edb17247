from __future__ import annotations

import shutil

import pytest

from synthcomp.errors import InputError, SandboxError
from synthcomp.sandbox import image
from synthcomp.sandbox.image import RECIPE_DIR, find_mirror, image_tag, load_recipe, recipe_hash


def test_recipe_validates_and_pins_the_office_libraries():
    recipe = load_recipe()
    assert recipe.debian.variant == "minbase"
    names = {req.split("==")[0] for req in recipe.python.requirements}
    assert {"python-docx", "openpyxl", "python-pptx", "fpdf2"} <= names
    assert all("==" in req for req in recipe.python.requirements)
    assert {"python3", "poppler-utils", "file", "less", "zip", "unzip"} <= set(recipe.debian.packages)


def test_tag_carries_a_hash_of_the_whole_recipe(tmp_path):
    copy = tmp_path / "computer"
    shutil.copytree(RECIPE_DIR, copy)
    assert recipe_hash(copy) == recipe_hash(RECIPE_DIR)
    assert image_tag(copy) == image_tag() and image_tag().startswith("synthcomp/computer:")
    (copy / "finalize.sh").write_text((copy / "finalize.sh").read_text() + "\n# changed\n")
    assert recipe_hash(copy) != recipe_hash(RECIPE_DIR)


def test_missing_recipe_says_so(tmp_path):
    with pytest.raises(InputError, match="recipe not found"):
        load_recipe(tmp_path)


def test_mirror_comes_from_apt_sources(tmp_path):
    deb822 = tmp_path / "debian.sources"
    deb822.write_text(
        "Types: deb\n# http://snapshot.example/\nURIs: http://mirror.example/debian-security\n"
        "Suites: bookworm-security\nComponents: main\n\n"
        "Types: deb deb-src\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main\n"
    )
    assert find_mirror("bookworm", [deb822]) == "http://mirror.example/debian"
    oneline = tmp_path / "sources.list"
    oneline.write_text("# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://other.example/debian trixie main\n")
    assert find_mirror("trixie", [oneline]) == "http://other.example/debian"
    assert find_mirror("bookworm", [oneline]) == "http://other.example/debian"  # any Debian archive serves it
    with pytest.raises(InputError, match="no Debian mirror"):
        find_mirror("bookworm", [tmp_path / "missing.list"])


def test_a_missing_daemon_says_how_to_fix_it(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(SandboxError, match="Docker daemon is not running.*systemctl start docker"):
        image.connect()


@pytest.mark.docker
def test_a_missing_image_says_how_to_build_it():
    client = image.connect()
    with pytest.raises(SandboxError, match="synthcomp image build"):
        image.require_image(client, "synthcomp/computer:000000000000")


@pytest.mark.docker
def test_the_built_image_is_small_offline_and_has_the_office_tools():
    client = image.connect()
    built = image.require_image(client, image_tag())
    assert built.attrs["Size"] < 300e6
    assert built.labels["synthcomp.recipe"] == recipe_hash()
    script = (
        "import docx, openpyxl, pptx, fpdf, PIL; print('ok');"
        "d = docx.Document(); d.add_paragraph('x'); d.save('/tmp/a.docx');"
        "p = fpdf.FPDF(); p.add_page(); p.set_font('helvetica'); p.cell(text='hello pdf'); p.output('/tmp/a.pdf')"
    )
    container = client.containers.run(
        built.id, ["bash", "-c", f"python3 -c \"{script}\" && pdftotext /tmp/a.pdf - && file -b /tmp/a.docx "
                   "&& which less zip unzip find grep sed && find /usr/share/doc /usr/share/man -mindepth 1 | wc -l"],
        network_mode="none", detach=True, user="1000:1000",
    )
    try:  # the logs of a container that has exited: `run(remove=True)` can return them cut short under load
        assert container.wait(timeout=120)["StatusCode"] == 0, container.logs().decode()
        out = container.logs(stdout=True, stderr=False).decode()
    finally:
        container.remove(force=True)
    assert out.startswith("ok\nhello pdf")
    assert "Microsoft Word" in out or "Zip" in out
    assert out.endswith("/usr/bin/sed\n0\n")  # docs and man pages trimmed


@pytest.mark.docker
def test_cleaning_up_old_images_leaves_the_current_one_alone(tmp_path):
    client = image.connect()
    current = image.require_image(client, image_tag())
    (tmp_path / "images" / "0ld0ld0ld0ld").mkdir(parents=True)
    removed = image._remove_stale(client, current.id, recipe_hash(), tmp_path)
    assert removed == [f"cache {tmp_path / 'images' / '0ld0ld0ld0ld'}"]
    assert client.images.get(current.id)
