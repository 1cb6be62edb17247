"""Every file tool is confined by the same rules, and snapshots never lie."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from synthcomp.errors import SandboxError
from tests.hostile.conftest import ALL, JAILS, call, shell


def _plant_links(env) -> None:
    """Links out of the tree, made the way the agent can: with its shell, or (fake) on the host."""
    sandbox = env.sandbox
    if sandbox.backend == "fake":
        home = sandbox.root_dir / sandbox.layout.home.lstrip("/")
        (home / "etc").symlink_to("/etc")
        (home / "up").symlink_to("../../../../..")
        (home / "Documents/secret-link.txt").symlink_to("/etc/passwd")
    else:
        shell(env, "ln -s /etc ~/etc && ln -s ../../../../.. ~/up && ln -s /etc/passwd ~/Documents/secret-link.txt")


@pytest.mark.parametrize("backend", ALL)
def test_no_tool_follows_a_link_out_of_the_tree(backend, env_for):
    env = env_for(backend)
    _plant_links(env)
    for tool, args in [("list_dir", {"path": "etc"}), ("list_dir", {"path": "up"}), ("read_file", {"path": "etc/passwd"}),
                       ("read_file", {"path": "Documents/secret-link.txt"}), ("search_files", {"query": "root", "path": "etc"}),
                       ("write_file", {"path": "etc/x.txt", "content": "x"}), ("move", {"src": "Documents", "dst": "etc"}),
                       ("move", {"src": "Desktop", "dst": "up/tmp"})]:
        observation, info = call(env, tool, **args)
        assert info["tool_error"] and "outside the computer" in observation, (tool, args, observation)
    found, info = call(env, "search_files", query="root:x:0")
    assert "no files" in found  # the links are not followed into /etc
    listing, _ = call(env, "list_dir", path=".")
    assert "LINK" in listing  # links are shown as links


@pytest.mark.parametrize("backend", ALL)
def test_home_drives_users_and_trash_cannot_be_moved_or_deleted(backend, env_for):
    env = env_for(backend)
    for tool, args in [("delete", {"path": "C:\\Users"}), ("delete", {"path": "C:\\"}), ("delete", {"path": "~"}),
                       ("delete", {"path": "."}), ("delete", {"path": "C:\\Users\\.."}), ("delete", {"path": "D:\\"}),
                       ("move", {"src": "C:\\", "dst": "D:\\"}), ("move", {"src": "~", "dst": "D:\\x"}),
                       ("move", {"src": "C:\\Users", "dst": "D:\\Users"}), ("delete", {"path": "C:\\$Recycle.Bin"})]:
        observation, info = call(env, tool, **args)
        assert info["tool_error"] and "Refusing" in observation, (tool, args, observation)
    assert "Documents" in call(env, "list_dir", path=".")[0]


@pytest.mark.parametrize("backend", ALL)
def test_a_file_name_is_never_run_as_a_command(backend, env_for):
    env = env_for(backend)
    evil = "x$(id>inj.txt)y`id>inj2.txt`;id>inj3.txt;.txt"
    for _ in range(2):
        call(env, "write_file", path=f"Documents/{evil}", content="x")
        observation, info = call(env, "delete", path=f"Documents/{evil}")
        assert not info["tool_error"], observation
    call(env, "write_file", path=f"Documents/{evil}", content="x")
    assert not call(env, "move", src=f"Documents/{evil}", dst=f"Desktop/{evil}")[1]["tool_error"]
    found, _ = call(env, "search_files", query="inj", path="C:\\")
    names = {line.rsplit("\\", 1)[-1] for line in found.splitlines()[1:]}
    assert f"{evil[:-4]} (2).txt" in names and not names & {"inj.txt", "inj2.txt", "inj3.txt"}


@pytest.mark.docker
def test_the_agent_cannot_reach_the_channel_to_the_host(env_for):
    """The supervisor talks to the host on a unix socket it connected to before the agent existed."""
    env = env_for("docker")
    probe = shell(env, "ls -a /run/synthcomp 2>&1; find / -xdev -type s 2>/dev/null; ls -l /proc/$$/fd | grep -c socket; "
                       "python3 -c \"import socket; socket.socket(socket.AF_UNIX).connect('/run/synthcomp/supervisor.sock')\" "
                       "2>&1 | tail -1")
    assert probe.splitlines()[:3] == ["ls: cannot open directory '/run/synthcomp': Permission denied", "0",
                                      "PermissionError: [Errno 13] Permission denied"], probe
    mounts = docker.from_env().api.inspect_container(env.sandbox.container_id)["Mounts"]
    folders = [Path(m["Source"]) for m in mounts if m["Type"] == "bind"]
    assert folders and not any(f.exists() for f in folders)  # the host's end is gone too
    assert "alive" in shell(env, "echo alive")


@pytest.mark.parametrize("backend", JAILS)
def test_snapshots_keep_locked_files_odd_names_and_nanoseconds(backend, env_for):
    env = env_for(backend)
    env.sandbox.exec("echo secret > ~/locked.txt && chmod 000 ~/locked.txt && mkdir ~/sealed && echo in > ~/sealed/f && "
               "chmod 000 ~/sealed && touch ~/'Zürich – 報告 (final).txt' ~/$'raw\\xff.txt' && "
               "touch -d '2021-02-03 04:05:06.987654321' ~/Documents/precise.txt").check()  # as is: no env clock
    before = env.sandbox.tree_digest()
    ref = env.snapshot("odd")
    shell(env, "chmod -R 700 ~/sealed ~/locked.txt; rm -rf ~/*")
    env.reset(options={"snapshot": ref})
    assert env.sandbox.tree_digest() == before
    stamp = shell(env, "stat -c '%y' ~/Documents/precise.txt; ls ~ | grep -c Zürich")
    assert stamp.startswith("2021-02-03 04:05:06.987654321 +0000\n1\n")


@pytest.mark.parametrize("backend", JAILS)
def test_a_snapshot_that_cannot_be_exact_fails_loudly_and_the_day_goes_on(backend, env_for):
    env = env_for(backend)
    observation = shell(env, "python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"/tmp/x\")' && "
                             "python3 -c 'import socket, os; socket.socket(socket.AF_UNIX).bind(os.path.expanduser(\"~/agent.sock\"))'"
                             " && echo bound")
    assert "bound" in observation
    with pytest.raises(SandboxError, match="cannot be exact.*socket"):
        env.snapshot("with a socket")
    assert env.sandbox.list_snapshots() == [env.morning]
    assert "alive" in shell(env, "echo alive")


@pytest.mark.parametrize("backend", ALL)
def test_huge_office_specs_are_bounded(backend, env_for):
    env = env_for(backend)
    wide = {"sheets": [{"name": "S", "columns": [{"name": f"c{i}", "type": "int"} for i in range(201)], "rows": []}]}
    slides = {"slides": [{"title": "s"} for _ in range(201)]}
    sections = {"sections": [{"heading": "h"} for _ in range(1001)]}
    for path, kind, spec in (("w.xlsx", "xlsx", wide), ("d.pptx", "pptx", slides), ("s.docx", "docx", sections)):
        observation, info = call(env, "create_document", path=f"Documents/{path}", kind=kind, spec=spec)
        assert info["tool_error"] and f"bad {kind} spec" in observation and "at most" in observation, observation
    tall = {"sheets": [{"name": "S", "columns": [{"name": "n", "type": "int"}], "rows": [[i] for i in range(15_000)]}]}
    observation, info = call(env, "create_document", path="Documents/tall.xlsx", kind="xlsx", spec=tall)
    assert not info["tool_error"], observation  # written in linear time (it was quadratic: 68 s for 20,000 rows)
