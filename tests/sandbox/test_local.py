"""bubblewrap-specific behaviour: what of the host is visible, and the jail's lifetime."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from synthcomp.errors import SandboxError
from synthcomp.sandbox import LocalSandboxConfig

pytestmark = pytest.mark.bwrap


def test_only_system_directories_of_the_host_are_visible_and_read_only(make_sandbox):
    sb = make_sandbox("local", None)
    assert sb.exec("ls -d /home /root /work /var/lib /srv 2>&1 | grep -c 'No such file'").stdout == "5\n"
    assert sb.exec("test -x /usr/bin/bash && echo visible").stdout == "visible\n"
    assert sb.exec("{ touch /usr/x /etc/x; mkdir /new; } 2>&1 | grep -c 'Read-only'").stdout == "3\n"
    assert sb.exec("grep -c '^ana:x:1000:1000:' /etc/passwd").stdout == "1\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="only when synthcomp runs as root")
def test_bwrap_runs_as_an_unprivileged_host_user(make_sandbox):
    sb = make_sandbox("local", None)
    assert os.stat(f"/proc/{sb._jail.pid}").st_uid == 65534


def test_missing_bubblewrap_says_how_to_install_it():
    with pytest.raises(SandboxError, match="apt-get install bubblewrap"):
        LocalSandboxConfig(bwrap="/nonexistent/bwrap").build(None, os="macos", username="bo", computer_id="c-x")


def test_the_jail_dies_with_its_owner(tmp_path):
    code = (
        "import time\n"
        "from synthcomp.sandbox.local import LocalSandbox\n"
        "sb = LocalSandbox(None, os='macos', username='bo', computer_id='c-owner')\n"
        "sb.exec('sleep 600 & true')\n"
        "print(sb._jail.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    pid = int(child.stdout.readline())
    child.kill()
    child.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
