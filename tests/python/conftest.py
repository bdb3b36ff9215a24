"""pytest set-up of the interoperability tests: one test per table of the snapshot."""

from typing import Any

from support import snapshot


def pytest_generate_tests(metafunc: Any) -> None:
    if "table" in metafunc.fixturenames:
        metafunc.parametrize("table", snapshot().tables())
