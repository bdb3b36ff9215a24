"""The notebooks are committed valid and without outputs: CI executes them, people diff them."""

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 6


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_valid_and_stripped(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    stale = [
        cell.get("id", index)
        for index, cell in enumerate(nb.cells)
        if cell.get("outputs") or cell.get("execution_count") or "execution" in cell.metadata
    ]
    assert not stale, (
        f"{path.name}: cells {stale} keep outputs of a run; strip them with "
        "`nbstripout notebooks/*.ipynb`"
    )
    # A heading in Chinese first: what the notebook shows.
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
