from __future__ import annotations

import pytest

from synthcomp.errors import InputError, PathEscape
from synthcomp.sandbox.paths import Layout, to_os_path, to_sandbox_path

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
