from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.brains.fake_anthropic import FakeAnthropic


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    yield server
    server.close()
