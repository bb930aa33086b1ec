"""Real road geometry on a scenario's segments: ``siegeline network attach`` matches each
segment to the shortest road between its towns, the scenario validates the geometry, and the
maps draw it. The roads are a small fixture built here, on the Djibo 2022 scenario's towns
(tests/data/djibo-2022.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.network.attach import attach_roads, noded_roads, with_geometry
from siegeline.network.geometry import distances_to_segments_km, segment_points
from siegeline.network.roads import geodesic_length_km, network_to_geojson
from siegeline.planning import scenario_network
from siegeline.reports.maps import network_map
from siegeline.scenario import load_raw, validate_scenario
from siegeline.scenario.loader import ScenarioError
from siegeline.web.routes_planning import plan_map

DJIBO = Path(__file__).parent / "data" / "djibo-2022.yaml"
OUAGA, KAYA = [-1.5197, 12.3714], [-1.0844, 13.0917]
KONGOUSSI, BOURZANGA, DJIBO_TOWN = [-1.5339, 13.3258], [-1.5461, 13.6781], [-1.6306, 14.1022]
BEND = [-0.95, 12.55]  # the Ouagadougou-Kaya road swings east
DETOUR = [-2.2, 12.9]  # a longer, parallel road to the west
P1 = [-1.30, 13.20]
P2 = [2 * (KONGOUSSI[0] + 0.003) - P1[0], 2 * KONGOUSSI[1] - P1[1]]  # 0.3 km past Kongoussi
JUNCTION = [-1.60, 13.90]  # where two roads cross, a shared inner vertex of both


def _line(coords: list[list[float]], **props: object) -> dict:
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "LineString", "coordinates": coords}}


@pytest.fixture()
def roads() -> dict:
    return {"type": "FeatureCollection", "features": [
        _line([OUAGA, BEND, KAYA], id="n3", highway="trunk"),
        _line([OUAGA, DETOUR, KAYA], id="west", highway="track"),
        # One way through Kongoussi (the town lies beside the line, between its vertices).
        _line([KAYA, P1, P2, BOURZANGA], id="r22"),
        _line([BOURZANGA, JUNCTION, [-1.40, 14.30]], id="to-the-east"),
        _line([[-2.0, 13.95], JUNCTION, DJIBO_TOWN], id="to-djibo"),
    ]}


@pytest.fixture()
def djibo() -> dict:
    return load_raw(DJIBO)


def test_each_segment_gets_the_shortest_road_between_its_towns(roads, djibo) -> None:
    sc = validate_scenario(djibo)
    matches = {m.segment: m for m in attach_roads(sc, roads)}
    assert all(m.geometry and not m.problem for m in matches.values())
    bend = matches["ouagadougou-kaya"]
    assert bend.geometry == [OUAGA, BEND, KAYA]  # not the longer road to the west
    assert bend.length_km == pytest.approx(geodesic_length_km([OUAGA, BEND, KAYA]))
    assert bend.length_km > 1.25 * bend.straight_km  # the bend, measured along the road
    # Cut where the road passes Kongoussi: the two segments meet at the point nearest it.
    first, second = matches["kaya-kongoussi"].geometry, matches["kongoussi-bourzanga"].geometry
    assert first[:2] == [KAYA, P1] and second[-2:] == [[round(x, 6) for x in P2], BOURZANGA]
    assert first[-1] == second[0]
    assert geodesic_length_km([first[-1], KONGOUSSI]) < 0.5
    # Through the crossing of two roads that only share a vertex there.
    assert matches["bourzanga-djibo"].geometry == [BOURZANGA, JUNCTION, DJIBO_TOWN]
    attached = validate_scenario(with_geometry(djibo, list(matches.values()), lengths=True))
    seg = next(s for s in attached.segments if s.id == "ouagadougou-kaya")
    assert seg.length_km == pytest.approx(bend.length_km, abs=1e-3)
    assert [list(p) for p in seg.geometry] == bend.geometry


def test_noding_keeps_every_point_of_the_roads(roads, djibo) -> None:
    noded = noded_roads(roads, validate_scenario(djibo), 2.0)
    km = sum(geodesic_length_km(f["geometry"]["coordinates"]) for f in noded["features"])
    # (to within the cut points, placed on the lon/lat chord rather than the geodesic)
    assert km == pytest.approx(sum(geodesic_length_km(f["geometry"]["coordinates"])
                                   for f in roads["features"]), rel=1e-6)
    assert len(noded["features"]) == 2 + 2 + 2 + 2  # r22 at Kongoussi, both at the crossing


def test_a_town_off_every_road_is_reported(roads, djibo) -> None:
    roads["features"] = [f for f in roads["features"] if f["properties"]["id"] != "to-djibo"]
    matches = {m.segment: m for m in attach_roads(validate_scenario(djibo), roads)}
    assert matches["bourzanga-djibo"].geometry is None
    assert matches["bourzanga-djibo"].problem == "no road passes within 2 km of djibo"
    assert matches["ouagadougou-kaya"].geometry is not None


def test_maps_and_event_distances_follow_the_road(roads, djibo) -> None:
    sc = validate_scenario(with_geometry(djibo, attach_roads(validate_scenario(djibo), roads)))
    trace = next(t for t in network_map(sc)["data"] if t.get("name") == "ouagadougou-kaya")
    assert list(zip(trace["x"], trace["y"], strict=True)) == [tuple(p) for p in
                                                               [OUAGA, BEND, KAYA]]
    rows = [{"segment": s.id, "from": s.a, "to": s.b, "length_km": s.length_km,
             "capacity_tankers_per_day": 10.0, "flow": 1.0, "attacked": False,
             "defended": False} for s in sc.segments]
    line = next(t for t in plan_map(sc, rows, "plan")["data"]
                if t.get("meta") == "ouagadougou-kaya")
    assert [line["x"][1], line["y"][1]] == BEND
    assert segment_points(sc)["ouagadougou-kaya"][1] == tuple(BEND)
    # The planning graph (plan --map, network export) carries the road too.
    g = scenario_network(sc)
    road = next(d for _, _, d in g.edges(data=True) if d["id"] == "ouagadougou-kaya")
    assert road["geometry"] == [OUAGA, BEND, KAYA]
    feature = next(f for f in network_to_geojson(g)["features"]
                   if f["properties"].get("id") == "ouagadougou-kaya")
    assert feature["geometry"]["coordinates"] == [OUAGA, BEND, KAYA]
    # An event at the bend lies on the road, 40 km off the straight line between the towns.
    straight = validate_scenario(djibo)
    on_road = distances_to_segments_km(sc, [BEND[0]], [BEND[1]])["ouagadougou-kaya"][0]
    off_line = distances_to_segments_km(straight, [BEND[0]], [BEND[1]])["ouagadougou-kaya"][0]
    assert on_road < 0.01 and off_line > 40


@pytest.mark.parametrize(("geometry", "message"), [
    ([OUAGA, BEND, [-1.2, 13.2]], "geometry ends at [-1.2, 13.2], 17.4 km from node 'kaya'"),
    ([KAYA, BEND, OUAGA], "geometry starts at [-1.0844, 13.0917], 93.0 km from node "
                          "'ouagadougou'"),
    ([OUAGA[::-1], KAYA], "geometry starts at [12.3714, -1.5197]"),
    ([OUAGA, [-1.0, 95.0], KAYA], "geometry point 1 [-1.0, 95.0] is not a [longitude, latitude]"),
    ([OUAGA], "at least 2 items"),
])
def test_a_geometry_that_does_not_join_its_towns_is_refused(djibo, geometry, message) -> None:
    djibo["segments"][0]["geometry"] = geometry
    with pytest.raises(ScenarioError, match="ouagadougou") as err:
        validate_scenario(djibo)
    assert message in str(err.value)


def test_cli_attach_writes_the_roads_into_the_scenario(tmp_path, roads) -> None:
    roads["features"] = [f for f in roads["features"] if f["properties"]["id"] != "to-djibo"]
    path, out = tmp_path / "roads.geojson", tmp_path / "djibo-roads.yaml"
    path.write_text(json.dumps(roads), encoding="utf-8")
    res = CliRunner().invoke(app, ["network", "attach", str(DJIBO), str(path), "-o", str(out),
                                   "--lengths"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "3 of 4 segments matched; 1 keep the straight line" in res.output
    assert "not matched: bourzanga-djibo: no road passes within 2 km of djibo" in res.output
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    segs = {s["id"]: s for s in doc["segments"]}
    assert segs["ouagadougou-kaya"]["geometry"] == [OUAGA, BEND, KAYA]
    assert segs["ouagadougou-kaya"]["length_km"] == pytest.approx(
        geodesic_length_km([OUAGA, BEND, KAYA]), abs=1e-3)
    assert "geometry" not in segs["bourzanga-djibo"] and segs["bourzanga-djibo"]["length_km"] == 55
    validate_scenario(doc)
