"""The figures a user reads: axis titles in words, every stockout curve visible, convoy-driven
outputs smoothed, the queue cap marked, country names inside their country and clear of the
places, escorted segments marked over the places."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point

from siegeline.engines import simulate
from siegeline.network.outlines import load_outlines
from siegeline.reports.figures import (
    Y_TITLES,
    add_queue_cap,
    fan_chart,
    stockout_chart,
    weekly_convoys_chart,
)
from siegeline.reports.maps import LABEL_CLEARANCE_DEG, network_map
from siegeline.scenario import load_scenario
from siegeline.web.routes_planning import plan_map

CONVOYS_EVERY_3_DAYS = ["corridors.{}.policy.mode=convoy", "corridors.{}.policy.interval_days=3"]


@pytest.fixture(scope="module")
def convoy_run():
    base = load_scenario("bamako-2025")
    overrides = [o.format(c.name) for c in base.corridors for o in CONVOYS_EVERY_3_DAYS]
    return simulate(load_scenario("bamako-2025", overrides), replications=30, days=60, seed=4)


def test_axes_are_titled_in_words(convoy_run):
    for variable in ("cover_days", "stations_open", "queue_wait_hours", "electricity_hours",
                     "gate_litres", "attack_intensity", "escort_pool"):
        layout = fan_chart(convoy_run, variable)["layout"]
        assert layout["yaxis"]["title"]["text"] == Y_TITLES[variable]
        assert layout["xaxis"]["title"]["text"] == "date"
    # prices in the scenario's currency (tests/test_second_scenario.py checks XOF)
    assert fan_chart(convoy_run, "informal_price")["layout"]["yaxis"]["title"]["text"] \
        == "FCFA per litre"
    assert fan_chart(convoy_run, "stations_open")["layout"]["yaxis"]["title"]["text"] \
        == "stations open"
    assert stockout_chart(convoy_run)["layout"]["xaxis"]["title"]["text"] == "date"
    assert weekly_convoys_chart(convoy_run)["layout"]["xaxis"]["title"]["text"] \
        == "week starting"


def test_every_stockout_curve_is_drawn_over_any_product(convoy_run):
    traces = stockout_chart(convoy_run)["data"]
    assert traces[0]["name"] == "any product"  # drawn first, so underneath
    under = traces[0]["line"]
    assert under["width"] >= 3 * max(t["line"]["width"] for t in traces[1:])
    assert under["color"].startswith("rgba(") and float(under["color"][:-1].split(",")[-1]) < 0.5
    assert {t["name"] for t in traces[1:]} == {"diesel", "gasoline", "hfo"}
    assert len({t["line"]["color"] for t in traces[1:]}) == 3


def _total_variation(y) -> float:
    return float(np.abs(np.diff(np.asarray(y, dtype=float))).sum())


@pytest.mark.parametrize("variable", ["stations_open", "queue_wait_hours"])
def test_convoy_rhythm_is_smoothed(convoy_run, variable):
    traces = {t["name"]: t for t in fan_chart(convoy_run, variable)["data"] if "name" in t}
    daily = np.median(convoy_run.dataset[variable].values, axis=0)
    np.testing.assert_allclose(traces["median, each day"]["y"], daily, atol=1e-6)
    smooth = traces["median, 7-day mean"]["y"]
    assert _total_variation(daily) > 0
    assert _total_variation(smooth) < 0.5 * _total_variation(daily)
    assert np.mean(smooth) == pytest.approx(np.mean(daily), rel=0.05)
    assert "median" in {t["name"] for t in fan_chart(convoy_run, "cover_days")["data"]
                        if "name" in t}  # stocks are not smoothed


def test_queue_cap_is_marked(convoy_run):
    cap = load_scenario("bamako-2025").stations.max_wait_hours
    figure = add_queue_cap(fan_chart(convoy_run, "queue_wait_hours"), cap)
    line = figure["data"][-1]
    assert line["y"] == [cap, cap] and "give up" in line["name"]
    assert figure["layout"]["yaxis"]["range"][1] > cap
    assert float(np.max(convoy_run.dataset["queue_wait_hours"].values)) <= cap + 1e-9


def test_country_names_lie_inside_and_clear_of_places():
    scenario = load_scenario("bamako-2025")
    polygons = {c.name: c.largest_polygon() for c in load_outlines()}
    labels = {t["text"][0]: Point(t["x"][0], t["y"][0]) for t in network_map(scenario)["data"]
              if t.get("mode") == "text"}
    assert {"SENEGAL", "GAMBIA", "MALI", "GUINEA"} <= set(labels)
    for name, point in labels.items():
        owner = next(n for n in polygons if n.upper() == name)
        assert polygons[owner].contains(point), name
        others = [n for n, poly in polygons.items() if n != owner and poly.contains(point)]
        assert not others, (name, others)  # SENEGAL used to sit in the Gambia
    places = [Point(n.lon, n.lat) for n in scenario.nodes if n.kind in ("port", "city")]
    for name in ("SENEGAL", "MALI", "GUINEA", "MAURITANIA"):
        assert min(labels[name].distance(p) for p in places) >= LABEL_CLEARANCE_DEG - 1e-6, name
    city = next(t for t in network_map(scenario)["data"] if t.get("name") == "city")
    assert city["textposition"] == "middle right"


def test_escorted_segment_is_marked_over_the_places():
    scenario = load_scenario("bamako-2025")
    into_city = next(s for s in scenario.segments if scenario.city.node in (s.a, s.b))
    rows = [{"segment": s.id, "from": s.a, "to": s.b, "length_km": s.length_km,
             "capacity_tankers_per_day": 10.0, "flow": 1.0, "attacked": False,
             "defended": s.id == into_city.id} for s in scenario.segments]
    defended = [into_city.id]
    data = plan_map(scenario, rows, "escorts")["data"]
    names = [t.get("name") for t in data]
    marker = next(t for t in data if t.get("marker", {}).get("symbol") == "diamond"
                  and t.get("name") == "defended")
    assert marker["meta"] == defended
    assert names.index("defended") > max(names.index(k) for k in ("city", "port"))
