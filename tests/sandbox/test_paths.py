from __future__ import annotations

from pathlib import Path

import pytest

from synthcomp.errors import InputError, PathEscape
from synthcomp.sandbox.paths import HostRoot, Layout, to_os_path, to_sandbox_path

WIN = Layout("windows", "ana")
MAC = Layout("macos", "ana")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (r"C:\Users\ana\Documents\x.docx", "/drives/C/Users/ana/Documents/x.docx"),
        ("c:/Users/ana/x", "/drives/C/Users/ana/x"),
        ("D:/Projects/x", "/drives/D/Projects/x"),
        ("D:", "/drives/D"),
        (r"D:\\Projects\\.\\a\\..\\b", "/drives/D/Projects/b"),
        ("Documents/x.docx", "/drives/C/Users/ana/Documents/x.docx"),
        (r"Documents\x.docx", "/drives/C/Users/ana/Documents/x.docx"),
        (".", "/drives/C/Users/ana"),
        ("~", "/drives/C/Users/ana"),
        ("~/Desktop", "/drives/C/Users/ana/Desktop"),
        ("/drives/D/Projects/", "/drives/D/Projects"),
        ("../../../../drives/D", "/drives/D"),
        ("/drives", "/drives"),
    ],
)
def test_windows_paths(path, expected):
    assert to_sandbox_path(path, WIN) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/Users/ana/Documents/a b.pdf", "/Users/ana/Documents/a b.pdf"),
        ("Documents/x", "/Users/ana/Documents/x"),
        ("~/x", "/Users/ana/x"),
        (r"odd\name.txt", r"/Users/ana/odd\name.txt"),  # a backslash is a filename character on macOS
        ("/Users/bob/shared", "/Users/bob/shared"),
    ],
)
def test_macos_paths(path, expected):
    assert to_sandbox_path(path, MAC) == expected


@pytest.mark.parametrize(
    ("layout", "path"),
    [
        (WIN, "/etc/passwd"),
        (WIN, "../../../../etc/passwd"),
        (WIN, "../../../../../../../../.."),
        (WIN, r"C:\..\..\etc"),
        (WIN, r"\\server\share"),
        (WIN, "//server/share"),
        (WIN, "~root"),
        (WIN, "/"),
        (WIN, "/drivesX/C"),
        (MAC, r"C:\Users\ana"),
        (MAC, "/etc/shadow"),
        (MAC, "/Users/../etc/shadow"),
        (MAC, "/work/main/Makefile"),
    ],
)
def test_escapes_are_refused_with_a_clear_error(layout, path):
    with pytest.raises(PathEscape) as info:
        to_sandbox_path(path, layout)
    assert repr(path) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("path", ["", "a\0b"])
def test_bad_input(path):
    with pytest.raises(InputError):
        to_sandbox_path(path, WIN)


def test_layout_validates_and_describes():
    assert (WIN.root, WIN.home, WIN.top) == ("/drives", "/drives/C/Users/ana", "drives")
    assert (MAC.root, MAC.home, MAC.top) == ("/Users", "/Users/ana", "Users")
    with pytest.raises(InputError, match="OS"):
        Layout("linux", "ana")
    with pytest.raises(InputError, match="username"):
        Layout("macos", "../root")


def test_to_os_path():
    assert to_os_path("/drives/C/Users/ana/x.docx", WIN) == r"C:\Users\ana\x.docx"
    assert to_os_path("/drives/D", WIN) == "D:\\"
    assert to_os_path("/Users/ana/x", MAC) == "/Users/ana/x"


def test_host_root_resolves_links_inside_and_refuses_links_out(tmp_path: Path):
    home = tmp_path / "drives/C/Users/ana"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents/a.txt").write_text("a")
    (home / "docs").symlink_to("Documents")
    (home / "abs").symlink_to("/drives/C/Users/ana/Documents")  # absolute, inside the computer
    (home / "out").symlink_to("/etc")
    (home / "up").symlink_to("../../../../..")
    (home / "loop").symlink_to("loop")
    root = HostRoot(tmp_path, WIN)
    assert root.open_read("docs/a.txt") == b"a"
    assert root.open_read("abs/a.txt") == b"a"
    assert root.realpath("docs/new/x", must_exist=False) == "/drives/C/Users/ana/Documents/new/x"
    for path in ("out/passwd", "up/etc/passwd", "out"):
        with pytest.raises(PathEscape, match="symlink"):
            root.realpath(path, must_exist=False)
    with pytest.raises(FileNotFoundError):
        root.open_read("Documents/missing")
    with pytest.raises(OSError, match="symbolic links"):
        root.realpath("loop", must_exist=True)
    written = root.open_write("docs/sub/b.txt", b"b")
    assert written == "/drives/C/Users/ana/Documents/sub/b.txt"
    assert (home / "Documents/sub/b.txt").read_bytes() == b"b"
    with pytest.raises(IsADirectoryError):
        root.open_write("docs", b"x")
