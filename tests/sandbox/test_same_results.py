"""The same scripted sequence of commands gives the same results in both jails."""

from __future__ import annotations

import pytest

SCRIPT = [
    "pwd; whoami; id; hostname; echo $HOME $USER $SHELL $LANG $TZ $SYNTHCOMP_OS",
    "ls -1 ~ && ls -1p ~/Documents | head -5",
    "find /drives -type f | LC_ALL=C sort | head -20; find /drives -type f | wc -l",
    "sha256sum ~/Documents/'Report 0.docx' && stat -c '%n %s %a %Y %U:%G' ~/Documents/*.docx",
    "cat ~/Documents/'Résumé – final.txt'; wc -c ~/Documents/'Résumé – final.txt'",
    "readlink ~/Desktop/'link to report' && cmp ~/Desktop/'link to report' ~/Documents/'Report 0.docx' && echo same",
    "cd /drives/D/Projects && mkdir -p 'Q3 Review' && cd 'Q3 Review' && pwd",
    "pwd; printf 'a,b\\n1,2\\n3,4\\n' > t.csv; awk -F, 'NR>1{s+=$2} END{print s}' t.csv",
    "export STAGE=draft; python3 -c 'import os, sys; print(os.environ[\"STAGE\"], sys.version_info[:2] >= (3, 9))'",
    "echo $STAGE; grep -rl 'Note 1' ~/Documents | LC_ALL=C sort | head -3",
    "zip -q -X -r /tmp/notes.zip . && unzip -l /tmp/notes.zip | tail -1 | awk '{print $2}'",
    "ls nope; echo after-error; false",
    "exit 7",
    "echo out; echo err >&2; sleep 0.1; echo out2",
    "seq 1 5 | paste -sd+ | bc 2>/dev/null || seq 1 5 | awk '{s+=$1} END{print s}'",
    "umask; touch ~/new.txt && stat -c '%a %U' ~/new.txt",
    "cd; pwd",
]


@pytest.mark.docker
@pytest.mark.bwrap
def test_docker_and_local_give_the_same_results(make_sandbox, trees):
    results = {}
    for backend in ("docker", "local"):
        sb = make_sandbox(backend, trees["windows"], computer_id="c-same")
        results[backend] = [sb.exec(cmd) for cmd in SCRIPT]
    for cmd, docker, local in zip(SCRIPT, results["docker"], results["local"]):
        assert (docker.stdout, docker.stderr, docker.exit_code) == (local.stdout, local.stderr, local.exit_code), cmd
    assert results["docker"][0].stdout.startswith("/drives/C/Users/ana\nana\nuid=1000(ana) gid=1000(ana)")
    assert results["docker"][12].exit_code == 7
