"""The packaged world outlines (Natural Earth 1:110m) and the maps drawn over them: any region
gets its own countries (tests/data/djibo-2022.yaml in Burkina Faso, and the same network moved
to Peru)."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point

from siegeline.network.outlines import (
    country_geometry,
    find_countries,
    load_outlines,
    normalise_name,
    outlines_for_extent,
)
from siegeline.reports.maps import network_map
from siegeline.scenario import load_raw, validate_scenario

DJIBO = Path(__file__).parent / "data" / "djibo-2022.yaml"
TOOL = Path(__file__).resolve().parents[1] / "tools" / "build_outlines.py"


def test_the_packaged_file_has_the_build_tools_names() -> None:
    """tools/build_outlines.py wrote the packaged file: same aliases (rebuild after editing)."""
    spec = importlib.util.spec_from_file_location("build_outlines", TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    by_name = {c.name: c.names for c in load_outlines()}
    for name, aliases in tool.ALIASES.items():
        assert {normalise_name(a) for a in aliases} <= by_name[name], name
    assert not tool.LEFT_OUT & set(by_name)


def test_the_whole_world_is_packaged_as_valid_polygons() -> None:
    outlines = load_outlines()
    assert len(outlines) == 176
    for c in outlines:
        assert c.geometry.is_valid, c.name
        west, south, east, north = c.geometry.bounds
        assert -180 <= west <= east <= 180 and -90 <= south <= north <= 90, c.name
    # Rings that cross the antimeridian are cut there, not drawn around the world.
    assert country_geometry("Fiji").area < 3
    assert country_geometry("Russia").contains(Point(-175, 66.5))  # Chukotka
    assert country_geometry("Ukraine").contains(Point(34.1, 44.95))  # Crimea, as ACLED codes it


@pytest.mark.parametrize(("name", "expected"), [
    ("Côte d'Ivoire", {"Côte d'Ivoire"}), ("Cote d'Ivoire", {"Côte d'Ivoire"}),
    ("Ivory Coast", {"Côte d'Ivoire"}), ("cote d\u2019ivoire", {"Côte d'Ivoire"}),
    ("DR Congo (Zaire)", {"Dem. Rep. Congo"}), ("Republic of Congo", {"Congo"}),
    ("Burkina Faso (Upper Volta)", {"Burkina Faso"}), ("South Sudan", {"S. Sudan"}),
    ("Somalia", {"Somalia", "Somaliland"}), ("Bahrain", set()), ("", set()),
])
def test_countries_are_found_by_the_names_acled_and_ucdp_use(name, expected) -> None:
    assert {c.name for c in find_countries(name)} == expected


def test_an_unknown_name_falls_back_on_the_iso_numeric_code() -> None:
    assert [c.name for c in find_countries("Republica de Colombia", 170)] == ["Colombia"]
    assert [c.name for c in find_countries(None, "070")] == ["Bosnia and Herz."]
    assert normalise_name("  Bosnia  and Herz. ") == "bosnia and herz."


def test_outlines_for_an_extent_are_the_countries_reaching_into_it() -> None:
    lima = (-77.1, -12.1, -77.0, -12.0)
    assert {c.name for c in outlines_for_extent(lima)} == {"Peru"}
    around = {c.name for c in outlines_for_extent(lima, margin=8)}
    assert {"Peru", "Ecuador", "Brazil", "Bolivia", "Chile"} <= around and "Mali" not in around
    for c in outlines_for_extent((-20, 5, 30, 25)):  # brute force over every outline
        assert shapely.intersects(c.geometry, shapely.box(-20, 5, 30, 25))
    assert len(outlines_for_extent((-20, 5, 30, 25))) == sum(
        shapely.intersects(c.geometry, shapely.box(-20, 5, 30, 25)) for c in load_outlines())


def _moved(raw: dict, dlon: float, dlat: float) -> dict:
    moved = copy.deepcopy(raw)
    for node in moved["nodes"]:
        node["lon"] += dlon
        node["lat"] += dlat
    return moved


def _map_countries(figure: dict) -> tuple[set[str], set[str]]:
    """(countries drawn, countries named) on a network map."""
    drawn = {t["name"] for t in figure["data"] if t.get("fill") == "toself"}
    named = {t["text"][0] for t in figure["data"] if t.get("mode") == "text"}
    return drawn, named


def test_a_map_far_from_mali_draws_its_own_region() -> None:
    raw = load_raw(DJIBO)
    drawn, named = _map_countries(network_map(validate_scenario(raw)))
    assert {"Burkina Faso", "Mali", "Niger", "Ghana"} <= drawn and "BURKINA FASO" in named
    assert "Peru" not in drawn
    # The same corridor moved to the Peruvian Andes (about -75.5, -10).
    drawn, named = _map_countries(network_map(validate_scenario(_moved(raw, -74.0, -23.0))))
    assert {"Peru", "Brazil"} <= drawn and "PERU" in named
    assert not drawn & {"Mali", "Burkina Faso", "Senegal"}
