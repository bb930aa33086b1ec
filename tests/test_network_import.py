"""Network import from road lines and CSV edge lists, and planning on a network file."""

import json
import math

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.network.roads import (
    _vincenty_m,
    contract_junctions,
    geodesic_length_km,
    import_roads,
    read_network,
    write_network,
)
from siegeline.planning import max_flow_after, max_flow_interdiction, network_planning_graph

runner = CliRunner()
EQUATOR_KM_PER_DEGREE = 6378.137 * math.pi / 180  # exact on the WGS84 equator


def _point(name, lon, lat, kind=None):
    props = {"name": name} | ({"kind": kind} if kind else {})
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def _line(coords, **props):
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords},
            "properties": props}


@pytest.fixture
def places():
    return {"type": "FeatureCollection", "features": [
        _point("Port", 0.0, 0.0, "port"), _point("Town", 1.0, 0.0),
        _point("City", 2.0, 0.0, "city"),
    ]}


@pytest.fixture
def roads():
    """Two parallel roads port-town (10 along the equator, 5 with a detour), two one-way roads
    into the city (8; and 4, drawn from the city with oneway=-1), a route port-junction-city (3)
    whose two lines meet 55 m apart, and a loop at the town that joins no two nodes.

    Max flow port -> city: min(10 + 5, 8 + 4) + 3 = 15. Budget 1: cutting the 8 leaves
    min(15, 4) + 3 = 7 (cutting the 10 leaves 5 + 3 = 8, cutting a 3 leaves 12): 7. Were the
    oneway=-1 road read in its drawing direction, the flow would be 8 + 3 = 11.
    """
    return {"type": "FeatureCollection", "features": [
        _line([[0, 0], [0.5, 0], [1, 0]], id="r1", highway="primary"),
        _line([[0, 0], [0.5, 0.1], [1, 0]], id="r2", highway="secondary",
              capacity_tankers_per_day=5),
        _line([[1, 0], [2.005, 0.003]], id="r3", highway="primary", oneway="yes",
              capacity_tankers_per_day=8),
        _line([[2, 0], [1, 0]], id="r4", highway="track", oneway="-1", capacity_tankers_per_day=4),
        _line([[0, 0], [1.5, -0.5]], id="r5", highway="tertiary"),
        _line([[1.5005, -0.5], [2, 0]], id="r6", highway="tertiary"),
        _line([[1, 0], [1.2, 0.2], [1.001, 0.0005]], id="loop", highway="track"),
    ]}


def test_geodesic_lengths_against_closed_forms():
    assert geodesic_length_km([[0, 0], [0.5, 0], [1, 0]]) == pytest.approx(EQUATOR_KM_PER_DEGREE,
                                                                           abs=1e-6)
    # WGS84 meridian quadrant: 10 001.965 729 km
    assert _vincenty_m(0.0, 0.0, 0.0, 90.0) / 1e3 == pytest.approx(10001.965729, abs=1e-5)
    assert geodesic_length_km([[3, 10]]) == 0.0
    # longer than the chord-free straight line on the equator: a detour
    assert geodesic_length_km([[0, 0], [0.5, 0.1], [1, 0]]) > EQUATOR_KM_PER_DEGREE


def test_vincenty_agrees_with_pyproj():
    pyproj = pytest.importorskip("pyproj")
    lon, lat = [-8.0, -7.2, -6.1, -5.5], [12.6, 12.9, 13.4, 14.0]
    geod = pyproj.Geod(ellps="WGS84")
    _, _, expected = geod.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    assert list(_vincenty_m(lon[:-1], lat[:-1], lon[1:], lat[1:])) == pytest.approx(
        list(expected), abs=1e-3)


def test_import_snaps_ends_measures_and_keeps_direction(roads, places):
    g, notes = import_roads(roads, places, tolerance_km=2.0, capacities={"tertiary": 3},
                            contract=False)
    assert g.is_directed() and g.is_multigraph()
    assert set(g.nodes) == {"port", "town", "city", "j0"}
    assert g.nodes["port"]["kind"] == "port" and g.nodes["j0"]["kind"] == "junction"
    assert len(notes) == 1 and "loop" in notes[0]
    seg = {}
    for u, v, d in g.edges(data=True):
        seg.setdefault(d["id"], []).append((u, v, d))
    assert set(seg) == {"r1", "r2", "r3", "r4", "r5", "r6"}
    assert [(u, v) for u, v, _ in seg["r4"]] == [("town", "city")]  # oneway=-1: reversed
    assert [(u, v) for u, v, _ in seg["r3"]] == [("town", "city")]
    assert sorted((u, v) for u, v, _ in seg["r1"]) == [("port", "town"), ("town", "port")]
    r1 = seg["r1"][0][2]
    assert r1["length_km"] == pytest.approx(EQUATOR_KM_PER_DEGREE, abs=1e-6)
    assert r1["road_class"] == "primary" and r1["capacity_tankers_per_day"] == 200.0
    assert r1["geometry"] == [[0, 0], [0.5, 0], [1, 0]]
    assert seg["r5"][0][2]["capacity_tankers_per_day"] == 3.0


def test_contraction_joins_roads_through_a_junction(roads, places):
    roads["features"][4]["properties"] |= {"hazard_per_100km": 0.2, "capacity_tankers_per_day": 9}
    roads["features"][5]["properties"] |= {"hazard_per_100km": 0.0, "capacity_tankers_per_day": 4}
    g, _ = import_roads(roads, places)
    assert set(g.nodes) == {"port", "town", "city"}
    (u, v, d), (u2, v2, _) = [(u, v, d) for u, v, d in g.edges(data=True) if d["id"] == "r5+r6"]
    assert {(u, v), (u2, v2)} == {("port", "city"), ("city", "port")}
    km5 = geodesic_length_km([[0, 0], [1.5, -0.5]])
    km6 = geodesic_length_km([[1.5005, -0.5], [2, 0]])
    assert d["length_km"] == pytest.approx(km5 + km6)
    assert d["capacity_tankers_per_day"] == 4.0
    assert d["hazard_per_100km"] == pytest.approx(0.2 * km5 / (km5 + km6))
    assert d["geometry"] == [[0, 0], [1.5, -0.5], [2, 0]]
    # a one-way road out of a junction and one into it still join, in their direction
    seg = [{"id": "x", "a": "j", "b": "p", "oneway": True, "length_km": 1.0, "road_class": "a",
            "capacity_tankers_per_day": 2.0, "geometry": [[1, 0], [0, 0]]},
           {"id": "y", "a": "c", "b": "j", "oneway": False, "length_km": 2.0, "road_class": "a",
            "capacity_tankers_per_day": 5.0, "geometry": [[2, 0], [1, 0]]}]
    (joined,) = contract_junctions(seg, {"j"})
    assert (joined["a"], joined["b"], joined["oneway"]) == ("c", "p", True)
    assert joined["geometry"] == [[2, 0], [1, 0], [0, 0]]
    both_in = [seg[0] | {"a": "p", "b": "j", "geometry": [[0, 0], [1, 0]]},
               seg[1] | {"oneway": True}]
    assert len(contract_junctions(both_in, {"j"})) == 2  # no traffic passes j


def test_planning_on_imported_roads(roads, places):
    g, _ = import_roads(roads, places, capacities={"tertiary": 3, "primary": 10})
    p = network_planning_graph(g)
    kw = {"sources": ["port"], "sink": "city"}
    assert max_flow_after(p, **kw) == pytest.approx(15.0)
    r = max_flow_interdiction(p, 1, **kw)
    assert r.objective == pytest.approx(7.0) and r.attack == ("r3",) and r.check.ok


def test_place_capacity_limits_the_flow(roads, places):
    places["features"][1]["properties"]["capacity_tankers_per_day"] = 2.0  # the town's post
    g, _ = import_roads(roads, places, capacities={"tertiary": 3, "primary": 10})
    assert g.nodes["town"]["capacity_tankers_per_day"] == 2.0
    # min(15, 2, 12) through the town + 3 by the junction road
    assert max_flow_after(network_planning_graph(g), sources=["port"],
                          sink="city") == pytest.approx(5.0)


def test_network_file_round_trip(tmp_path, roads, places):
    g, _ = import_roads(roads, places, capacities={"tertiary": 3, "primary": 10})
    path = write_network(g, tmp_path / "net.geojson")
    back = read_network(path)
    assert back.is_directed() and back.number_of_edges() == g.number_of_edges()
    assert nx.utils.edges_equal(sorted(back.edges(keys=True)), sorted(g.edges(keys=True)))
    lengths = {d["id"]: d["length_km"] for _, _, d in back.edges(data=True)}
    assert lengths["r1"] == pytest.approx(EQUATOR_KM_PER_DEGREE)
    assert back.nodes["city"]["lon"] == 2.0
    assert max_flow_after(network_planning_graph(back), sources=["port"],
                          sink="city") == pytest.approx(15.0)


def test_cli_import_then_plan(tmp_path, roads, places):
    roads_path, places_path = tmp_path / "roads.geojson", tmp_path / "places.geojson"
    roads_path.write_text(json.dumps(roads))
    places_path.write_text(json.dumps(places))
    net = tmp_path / "net.geojson"
    res = runner.invoke(app, ["network", "import", str(roads_path), "--places", str(places_path),
                              "-o", str(net), "--capacity", "tertiary=3", "--capacity",
                              "primary=10"])
    assert res.exit_code == 0, res.output
    assert "5 (2 one-way)" in res.output and "loop" in res.output
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["plan", "interdict", "--network", str(net), "-b", "1",
                              "-o", str(out), "--map", str(tmp_path / "m.png")])
    assert res.exit_code == 0, res.output  # port and city found from the places' kinds
    body = json.loads(out.read_text())
    assert body["objective"] == pytest.approx(7.0) and body["baseline"] == pytest.approx(15.0)
    res = runner.invoke(app, ["plan", "route", "--network", str(net), "--demand", "12",
                              "--source", "port", "--sink", "city"])
    assert res.exit_code == 0, res.output
    assert "tanker-days on the road" in res.output
    res = runner.invoke(app, ["plan", "route", "--network", str(net)])
    assert res.exit_code == 2 and "--demand" in res.output


def test_csv_edge_list(tmp_path):
    path = tmp_path / "edges.csv"
    path.write_text("from,to,id,capacity_tankers_per_day,length_km,oneway\n"
                    "p,m,big,10,5,\np,m,small,5,7,\nm,c,in,12,3,yes\nc,m,out,50,3,yes\n")
    g = read_network(path)
    assert g.is_directed() and g.number_of_edges() == 2 * 2 + 2
    p = network_planning_graph(g)
    assert max_flow_after(p, sources=["p"], sink="c") == pytest.approx(12.0)
    res = runner.invoke(app, ["plan", "shortest-path", "--network", str(path), "--source", "p",
                              "--sink", "c", "-b", "1"])
    assert res.exit_code == 0, res.output
    assert "p → m → c" in res.output  # before the attack: big road, 8 km
    res = runner.invoke(app, ["plan", "interdict", "--network", str(path), "-b", "1"])
    assert res.exit_code == 2 and "--source" in res.output
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    res = runner.invoke(app, ["plan", "interdict", "--network", str(bad), "--source", "1",
                              "--sink", "2"])
    assert res.exit_code == 2 and "end columns" in res.output


def test_scenario_is_also_positional():
    res = runner.invoke(app, ["plan", "interdict", "bamako-2025", "-b", "0"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["plan", "interdict", "bamako-2025", "--network", "x.csv"])
    assert res.exit_code == 2


def test_exported_scenario_plans_as_the_scenario(tmp_path):
    """A scenario written as a network file and read back gives the scenario's own answers
    (same intensity, destroy share, demand, supplies); a capacity put on a node of the file
    then limits the flow through it."""
    from siegeline.planning import planning_graph, risk_aware_routing
    from siegeline.scenario.loader import load_scenario

    sc = load_scenario("bamako-2025")
    out = tmp_path / "bamako.geojson"
    res = runner.invoke(app, ["network", "export", "bamako-2025", "-o", str(out)])
    assert res.exit_code == 0, res.output
    back = network_planning_graph(read_network(out))
    direct = planning_graph(sc)
    for budget in (0, 1, 2):
        assert max_flow_interdiction(back, budget).objective == pytest.approx(
            max_flow_interdiction(direct, budget).objective)
    assert risk_aware_routing(back).objective == pytest.approx(
        risk_aware_routing(direct).objective, rel=1e-9)
    data = json.loads(out.read_text())
    for f in data["features"]:
        if f["properties"].get("id") == sc.city.node:
            f["properties"]["capacity_tankers_per_day"] = 120.0  # the depots' unloading rate
    out.write_text(json.dumps(data))
    capped = network_planning_graph(read_network(out))
    assert max_flow_after(capped) == pytest.approx(120.0)
    res = runner.invoke(app, ["plan", "route", "--network", str(out)])
    assert res.exit_code == 0, res.output  # the demand came with the file


def test_snapping_grid_finds_what_a_full_search_finds():
    """Line ends snapped through the grid index merge exactly as a search over every earlier
    node would (nearest within the tolerance), for points scattered around grid boundaries."""
    from siegeline.network.roads import _Snapper

    rng = np.random.default_rng(8)
    pts = np.column_stack([rng.uniform(-8.05, -7.95, 400), rng.uniform(12.45, 12.55, 400)])
    snapper = _Snapper([], tolerance_km=0.8)
    kept = []  # (lon, lat, id) of the nodes a full search creates
    for lon, lat in pts:
        got = snapper.snap(lon, lat)
        if kept:
            d = _vincenty_m(np.array([k[0] for k in kept]), np.array([k[1] for k in kept]),
                            np.full(len(kept), lon), np.full(len(kept), lat)) / 1e3
            if d.min() <= 0.8:
                assert got == kept[int(d.argmin())][2]
                continue
        kept.append((lon, lat, got))
        assert got == f"j{len(kept) - 1}"
    assert 20 < len(kept) < 400


def test_multilinestring_parts_and_osm_ids(places):
    roads = {"type": "FeatureCollection", "features": [{
        "type": "Feature",
        "geometry": {"type": "MultiLineString",
                     "coordinates": [[[0, 0], [1, 0]], [[1, 0], [2, 0]]]},
        "properties": {"@id": "way/42", "highway": "trunk", "oneway": "no"},
    }]}
    g, notes = import_roads(roads, places)
    assert not g.is_directed() and not notes
    ids = {d["id"]: (u, v) for u, v, d in g.edges(data=True)}
    assert set(ids) == {"way/42", "way/42-2"}
    assert set(map(frozenset, ids.values())) == {frozenset({"port", "town"}),
                                                  frozenset({"town", "city"})}
    assert all(d["road_class"] == "trunk" for _, _, d in g.edges(data=True))
