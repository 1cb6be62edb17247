from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import TypeAdapter, ValidationError

from synthcomp.sandbox import DockerSandboxConfig, FakeSandboxConfig, LocalSandboxConfig, SandboxConfig
from synthcomp.sandbox.fake import FakeSandbox

ADAPTER = TypeAdapter(SandboxConfig)


@pytest.mark.parametrize(
    ("data", "cls"),
    [({"type": "docker"}, DockerSandboxConfig), ({"type": "local", "disk_mb": 64}, LocalSandboxConfig),
     ({"type": "fake"}, FakeSandboxConfig)],
)
def test_the_type_field_picks_the_backend(data, cls):
    config = ADAPTER.validate_python(data)
    assert type(config) is cls
    assert ADAPTER.validate_json(ADAPTER.dump_json(config)) == config


def test_unknown_fields_and_types_are_errors():
    with pytest.raises(ValidationError, match="extra"):
        ADAPTER.validate_python({"type": "docker", "memroy_mb": 512})
    with pytest.raises(ValidationError, match="does not match any of the expected tags"):
        ADAPTER.validate_python({"type": "dokcer"})


def test_bad_combinations_fail_before_anything_starts_naming_both_fields():
    with pytest.raises(ValidationError) as info:
        DockerSandboxConfig(memory_mb=256, disk_mb=200)
    assert "disk_mb (200)" in str(info.value) and "memory_mb (256)" in str(info.value)


def test_fields_are_documented():
    assert DockerSandboxConfig.model_fields["pids"].description
    assert LocalSandboxConfig.model_fields["run_as"].description


def test_build_imports_backends_lazily(tmp_path):
    code = (
        "import sys\n"
        "from synthcomp.sandbox import FakeSandboxConfig\n"
        "sb = FakeSandboxConfig().build(None, os='macos', username='bo', computer_id='c')\n"
        "sb.close()\n"
        "print('docker' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_fake_config_builds_a_fake():
    sb = FakeSandboxConfig(responses={"ls": "a\n"}).build(None, os="windows", username="ana", computer_id="c1")
    try:
        assert isinstance(sb, FakeSandbox)
        assert sb.exec("ls").stdout == "a\n"
    finally:
        sb.close()
