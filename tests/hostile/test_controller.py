"""The agent poisons its shell: nothing it does there steers the code that runs outside.

The agent puts fakes of every tool a controller might call first on its PATH, exports
shell functions and aliases of the same names, and sets BASH_ENV. Every file tool,
the change watcher, snapshots and the end-of-simulation copy must still see the real
tree, and no fake may ever run except when the agent runs it itself.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tests.hostile.conftest import JAILS, call, home, shell
from tests.sandbox.test_archive import _cve_2025_4517

FAKES = ("tar", "cat", "realpath", "find", "python3", "head", "mkdir", "touch", "mv", "ls", "sha256sum", "stat", "bash")


def _poison(env) -> str:
    """Fakes that leave a mark in ~/.marks and print garbage; returns the marks file's path."""
    script = "mkdir -p ~/.bin\n"
    for name in FAKES:
        script += (f"printf '#!/bin/sh\\necho \"$0 $*\" >> $HOME/.marks\\necho GARBAGE\\nexit 0\\n' > ~/.bin/{name}\n"
                   f"chmod +x ~/.bin/{name}\n")
    script += (
        "export PATH=$HOME/.bin:$PATH BASH_ENV=$HOME/.bin/bashenv ENV=$HOME/.bin/bashenv\n"
        "echo 'echo BASHENV >> $HOME/.marks' > $HOME/.bin/bashenv\n"
        + "".join(f"{name}() {{ echo FUNC {name} >> $HOME/.marks; echo GARBAGE; }}; export -f {name}\n"
                  for name in ("tar", "cat", "find", "realpath", "python3"))
    )
    observation = shell(env, script)
    assert "[exit 0]" in observation, observation
    return f"{home(env)}/.marks"


@pytest.mark.parametrize("backend", JAILS)
def test_a_poisoned_path_changes_nothing_outside(backend, env_for, tmp_path):
    env = env_for(backend)
    marks = _poison(env)
    assert "GARBAGE" in shell(env, "cat ~/.marks")  # the agent's own shell does use its fakes
    shell(env, "command rm -f ~/.marks")
    observation, info = call(env, "read_file", path="Documents")
    assert info["tool_error"] and "directory" in observation.lower()
    listing, _ = call(env, "list_dir", path=".")
    assert "Documents" in listing and "GARBAGE" not in listing
    written, info = call(env, "write_file", path="notes/plan.md", content="# real plan\n")
    assert not info["tool_error"] and [p[-len("plan.md"):] for p in info["files_changed"]] == ["plan.md"]
    assert call(env, "read_file", path="notes/plan.md")[0].endswith("# real plan\n")
    found, _ = call(env, "search_files", query="real plan")
    assert "plan.md" in found
    ref = env.snapshot("poisoned")
    call(env, "delete", path="notes/plan.md")
    env.reset(options={"snapshot": ref})
    assert call(env, "read_file", path="notes/plan.md")[0].endswith("# real plan\n")
    out = tmp_path / "copy"
    env.sandbox.get_tree(env.sandbox.layout.root, out)
    assert (out / env.sandbox.layout.home.split("/", 2)[2] / "notes/plan.md").read_text() == "# real plan\n"
    assert env.sandbox.read_bytes("~/.bin/tar").startswith(b"#!/bin/sh")  # the fakes are still there
    with pytest.raises(FileNotFoundError):
        env.sandbox.read_bytes(marks)  # ... and none of them ran for the tools, the watcher or the snapshot


@pytest.mark.parametrize("backend", JAILS)
def test_a_fake_tar_with_a_crafted_archive_writes_nothing_on_the_host(backend, env_for, tmp_path):
    env = env_for(backend)
    crafted = _cve_2025_4517().getvalue()
    env.sandbox.write_bytes("~/.bin/evil.tar", crafted)
    shell(env, "mkdir -p ~/.bin && printf '#!/bin/sh\\ncat $HOME/.bin/evil.tar\\n' > ~/.bin/tar && chmod +x ~/.bin/tar"
               " && export PATH=$HOME/.bin:$PATH")
    sentinel_root = tmp_path / "a" / "b" / "c" / "d" / "e"
    target = sentinel_root / "computer"
    env.sandbox.get_tree(env.sandbox.layout.root, target)
    assert not list(tmp_path.rglob("pwned.txt"))
    assert (target / env.sandbox.layout.home.split("/", 2)[2] / ".bin" / "evil.tar").read_bytes() == crafted
    with tarfile.open(fileobj=io.BytesIO(crafted)) as tar:  # it is a real attack archive
        assert any(m.issym() for m in tar)
    assert not Path("/pwned.txt").exists()
