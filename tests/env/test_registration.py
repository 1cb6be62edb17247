"""``import synthcomp`` registers the env ids with Gymnasium without importing it.

Each case runs in a fresh interpreter: this test process has long since imported both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_import_synthcomp_leaves_gymnasium_unloaded():
    assert _python("import sys, synthcomp, synthcomp.cli, synthcomp.render.client; "
                   "print(sorted(m for m in ('gymnasium', 'numpy') if m in sys.modules))") == "[]"


def test_ids_are_registered_when_gymnasium_comes_after_synthcomp():
    out = _python("import synthcomp, sys; import gymnasium as gym; "
                  "print(gym.spec('synthcomp/Workday-v1').entry_point, gym.spec('synthcomp/Workday-v0').id, "
                  "type(gym.__loader__).__name__, any(type(f).__name__ == '_Finder' for f in sys.meta_path))")
    assert out == "synthcomp.env.workday:WorkdayEnv synthcomp/Workday-v0 SourceFileLoader False"


def test_ids_are_registered_when_gymnasium_comes_first():
    assert _python("import gymnasium as gym; import synthcomp; "
                   "print(gym.spec('synthcomp/Workday-v1').id)") == "synthcomp/Workday-v1"


def test_a_submodule_import_loads_gymnasium_and_registers():
    assert _python("import synthcomp; from gymnasium.envs.registration import registry; "
                   "print('synthcomp/Workday-v1' in registry)") == "True"
