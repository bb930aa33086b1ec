"""A second, non-Bamako siege (tests/data/djibo-2022.yaml: Burkina Faso, XOF, products gasoil
and super) run end to end; nothing of the Bamako case (FCFA, diesel/gasoline, a projection
centred on Mali, one city) may leak into what the code prints or computes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from pyproj import Geod
from typer.testing import CliRunner

from siegeline.cli.main import app
from siegeline.engines import simulate
from siegeline.network.geometry import distances_to_segments_km, segment_lines
from siegeline.results import ResultStore
from siegeline.scenario.loader import ScenarioError, load_raw, load_scenario, validate_scenario

DJIBO = Path(__file__).parent / "data" / "djibo-2022.yaml"
BAMAKO_WORDS = ("FCFA", "diesel", "gasoline", "Bamako", "bamako", "Mali")
runner = CliRunner()
GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def djibo():
    return load_scenario(DJIBO)


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _no_bamako(text: str) -> None:
    leaked = [w for w in BAMAKO_WORDS if w in text]
    assert not leaked, f"Bamako-specific words in the output: {leaked}"


def test_run_summary_and_show_use_the_scenarios_currency_and_products(tmp_path: Path) -> None:
    """`run`, `summary`, `summary --json` and `show` of the Djibo scenario print prices of both
    its products in XOF/L, and nothing of Bamako's case."""
    store = str(tmp_path / "runs.duckdb")
    out = _cli("run", str(DJIBO), "-n", "12", "--store", store)
    for product in ("gasoil", "super"):
        assert f"informal price {product} (XOF/L)" in out
    _no_bamako(out)
    run_id = out.split("Saved run ")[1].split()[0]
    again = _cli("summary", run_id, "--store", store)
    assert "informal price gasoil (XOF/L)" in again and "informal price super (XOF/L)" in again
    _no_bamako(again)
    rows = json.loads(_cli("summary", run_id, "--json", "--store", store))
    prices = {r["item"] for r in rows if r["indicator"] == "informal_price"}
    assert prices == {"gasoil", "super"}  # gasoil's price never moves, it is still listed
    _no_bamako(_cli("show", str(DJIBO)))


def test_a_stored_run_keeps_its_currency(djibo, tmp_path: Path) -> None:
    """The store records the scenario's currency with the run; the loaded run's price unit and
    the informal price's unit attribute say XOF/L (a Bamako run still says FCFA/L)."""
    store = ResultStore(tmp_path / "runs.duckdb")
    result = simulate(djibo, replications=4, days=20)
    run_id = store.save(result, djibo.model_dump_json())
    loaded = store.load(run_id)
    assert loaded.currency == "XOF" and loaded.price_unit == "XOF/L"
    assert loaded.dataset["informal_price"].attrs["unit"] == "XOF/L"
    bamako = load_scenario("bamako-2025")
    assert bamako.currency == "FCFA" and bamako.price_unit == "FCFA/L"


def test_every_product_has_a_price_row_in_the_summary(djibo) -> None:
    result = simulate(djibo, replications=6, days=31)
    summary = result.summary()
    for day in (30, 31):
        rows = summary[(summary["indicator"] == "informal_price") & (summary["day"] == day)]
        assert sorted(rows["item"]) == ["gasoil", "super"]


def _shifted(djibo, dlat: float):
    """The Djibo network moved ``dlat`` degrees north (same shape, another latitude)."""
    data = djibo.model_dump(mode="json")
    for node in data["nodes"]:
        node["lat"] += dlat
    return validate_scenario(data, "shifted")


@pytest.mark.parametrize("dlat", [0.0, 46.0, -50.0])  # Djibo, Scandinavia, Patagonia
def test_projected_lengths_are_geodesic_at_any_latitude(djibo, dlat: float) -> None:
    """Segment lengths in the network's projection agree with the WGS84 geodesic within 0.05%,
    at Djibo as in Scandinavia or Patagonia (the projection centred on Mali was 0.6% off at
    Djibo, up to 9% there)."""
    sc = _shifted(djibo, dlat)
    nodes = {n.id: n for n in sc.nodes}
    lines = segment_lines(sc, projected=True)
    for seg in sc.segments:
        a, b = nodes[seg.a], nodes[seg.b]
        geodesic = GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2]
        assert abs(lines[seg.id].length / geodesic - 1) < 5e-4, (dlat, seg.id)


@pytest.mark.parametrize("dlat", [0.0, 46.0])
def test_distance_to_a_segment_matches_brute_force_on_the_geodesic(djibo, dlat: float) -> None:
    """Point-to-segment distances agree within 20 m with the least geodesic distance to 2,000
    points along the segment (brute force), for points up to ~60 km from it."""
    sc = _shifted(djibo, dlat)
    nodes = {n.id: n for n in sc.nodes}
    rng = np.random.default_rng(7)
    lon = rng.uniform(-2.3, -0.5, 300)
    lat = rng.uniform(12.2, 14.3, 300) + dlat
    got = distances_to_segments_km(sc, lon, lat)
    for seg in sc.segments:
        a, b = nodes[seg.a], nodes[seg.b]
        along = np.array([(a.lon, a.lat), *GEOD.npts(a.lon, a.lat, b.lon, b.lat, 2000),
                          (b.lon, b.lat)])
        near = np.flatnonzero(got[seg.id] < 60)
        assert near.size > 5
        for i in near:
            metres = GEOD.inv(np.full(len(along), lon[i]), np.full(len(along), lat[i]),
                              along[:, 0], along[:, 1])[2]
            assert abs(got[seg.id][i] - metres.min() / 1000) < 0.02, (dlat, seg.id)


def test_a_second_city_node_is_a_validation_error() -> None:
    data = load_raw(DJIBO)
    data["nodes"][3]["kind"] = "city"  # Bourzanga
    with pytest.raises(ScenarioError, match="node 'bourzanga' is a second city"):
        validate_scenario(data, "two cities")


@pytest.mark.parametrize(("path", "message"), [
    ("segments.bourzanga-djibo.hazard_per_100k", "did you mean 'hazard_per_100km'"),
    ("segments.nowhere.hazard_per_100km", "segments has no 'nowhere'"),
    ("escorts.pool_size.extra", "escorts.pool_size has no parts"),
    ("adversary.campaign.regimes", "adversary.campaign is not set"),
])
def test_a_source_for_a_path_that_does_not_exist_is_a_validation_error(path, message) -> None:
    data = copy.deepcopy(load_raw(DJIBO))
    data["sources"][path] = {"source": "somewhere"}
    with pytest.raises(ScenarioError, match=message):
        validate_scenario(data, "bad source")


def test_sources_by_name_and_index_are_accepted(djibo) -> None:
    data = load_raw(DJIBO)
    data["sources"].update({"corridors.0.policy": {"source": "a"},
                            "nodes.Djibo.lat": {"source": "b"},
                            "adversary.campaign": {"source": "c"}})
    assert len(validate_scenario(data, "ok").sources) == 5


@pytest.mark.parametrize("currency", ["", "F CFA", "X" * 13])
def test_a_malformed_currency_is_refused(currency: str) -> None:
    data = load_raw(DJIBO)
    data["currency"] = currency
    with pytest.raises(ScenarioError, match="currency"):
        validate_scenario(data, "bad currency")


def test_exposure_buffer_is_in_true_km_on_the_djibo_road(djibo) -> None:
    """An event 5.0 km (geodesic) to the side of the middle of bourzanga-djibo is tied to that
    segment with a 5.2 km buffer and not with a 4.8 km one."""
    import pandas as pd

    from siegeline.events.exposure import assign_segments

    nodes = {n.id: n for n in djibo.nodes}
    a, b = nodes["bourzanga"], nodes["djibo"]
    azimuth, _, metres = GEOD.inv(a.lon, a.lat, b.lon, b.lat)
    mid_lon, mid_lat, back = GEOD.fwd(a.lon, a.lat, azimuth, metres / 2)
    lon, lat, _ = GEOD.fwd(mid_lon, mid_lat, back + 180 + 90, 5000.0)
    events = pd.DataFrame({"longitude": [lon], "latitude": [lat],
                           "event_date": [pd.Timestamp("2022-03-01")]})
    near = assign_segments(events, djibo, 5.2)
    assert near["segment"].tolist() == ["bourzanga-djibo"]
    assert abs(near["distance_km"].iloc[0] - 5.0) < 0.01
    assert assign_segments(events, djibo, 4.8).empty


def test_the_report_and_its_figures_speak_the_scenarios_currency(djibo, tmp_path: Path) -> None:
    """The HTML report's summary table and price chart name XOF (no FCFA), and charts of a
    product output default to the scenario's first product."""
    from siegeline.reports import write_report
    from siegeline.reports.figures import default_item, fan_chart

    store = ResultStore(tmp_path / "runs.duckdb")
    result = simulate(djibo, replications=6, days=30)
    run_id = store.save(result, djibo.model_dump_json())
    page = write_report(run_id, tmp_path / "report.html", store).read_text(encoding="utf-8")
    assert "Informal price (XOF/L)" in page and "FCFA" not in page
    loaded = store.load(run_id)
    assert default_item(loaded, "informal_price") == "gasoil"
    chart = fan_chart(loaded, "informal_price")
    assert chart["layout"]["yaxis"]["title"]["text"] == "XOF per litre"
