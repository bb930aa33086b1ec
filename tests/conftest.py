import pytest

from siegeline.scenario import load_scenario


@pytest.fixture(scope="session")
def bamako():
    return load_scenario("bamako-2025")


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Every test writes its runs to its own store, never to the working directory."""
    monkeypatch.setenv("SIEGELINE_STORE", str(tmp_path / "store.duckdb"))
