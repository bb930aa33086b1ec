"""`siegeline plan ...` end to end on the packaged scenario."""

import json

import pytest
from typer.testing import CliRunner

from siegeline.cli.main import app

runner = CliRunner()


def strict_loads(text: str):
    """JSON as the standard has it: NaN and Infinity are errors."""
    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def one_road(tmp_path):
    """s-a-t, one road of two segments: a budget of 1 cuts the sink off."""
    path = tmp_path / "one-road.csv"
    path.write_text("a,b,id,capacity_tankers_per_day,length_km\ns,a,sa,10,1\na,t,at,10,1\n")
    return ["--network", str(path), "--source", "s", "--sink", "t"]


def test_interdict_writes_map_and_json(tmp_path):
    png, out = tmp_path / "map.png", tmp_path / "r.json"
    res = runner.invoke(
        app, ["plan", "interdict", "-b", "1", "--map", str(png), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "max-flow interdiction" in res.output and "Optimal" in res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert '"attack"' in out.read_text()


def test_interdict_curve(tmp_path):
    png = tmp_path / "curve.png"
    res = runner.invoke(
        app, ["plan", "interdict", "--curve", "--max-budget", "2", "--curve-png", str(png)]
    )
    assert res.exit_code == 0, res.output
    assert "Loss curve" in res.output and "MISMATCH" not in res.output
    assert png.stat().st_size > 10_000


def test_shortest_path_escorts_route():
    res = runner.invoke(app, ["plan", "shortest-path", "-b", "1", "--length", "risk"])
    assert res.exit_code == 0, res.output
    assert "survival of one crossing" in res.output
    res = runner.invoke(app, ["plan", "escorts", "-k", "1", "-b", "1"])
    assert res.exit_code == 0, res.output
    assert "attacker's best reply" in res.output
    res = runner.invoke(app, ["plan", "route"])
    assert res.exit_code == 0, res.output
    assert "scenario's order shares" in res.output


def test_user_errors_exit_2_without_traceback():
    for args in (
        ["plan", "interdict", "--cost", "no-such-road=2"],
        ["plan", "interdict", "--cost", "oops"],
        ["plan", "route", "--demand", "100000"],
        ["plan", "interdict", "bamako-2024"],
        ["plan", "interdict", "--hazard-level", "hihg"],
        ["plan", "route", "-s", "7"],  # -s is the seed, and route draws nothing
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output
    assert "did you mean 'bamako-2025'" in runner.invoke(app, ["plan", "escorts",
                                                              "bamako-2024"]).output
    assert "did you mean 'high'" in runner.invoke(app, ["plan", "route", "--hazard-level",
                                                        "hihg"]).output


def test_json_switch_prints_strict_json_on_stdout(one_road, tmp_path):
    """Cut off, the shortest route is infinite: null in the JSON, which is all stdout holds."""
    res = runner.invoke(app, ["plan", "shortest-path", *one_road, "-b", "1", "--json"])
    assert res.exit_code == 0, res.output
    body = strict_loads(res.stdout)
    assert body["objective"] is None and body["attack"] in (["sa"], ["at"])
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["plan", "shortest-path", *one_road, "-b", "1", "-o", str(out)])
    assert res.exit_code == 0 and "cut off" in res.output
    written = strict_loads(out.read_text())
    assert {**written, "time_s": 0} == {**body, "time_s": 0}


def test_scenario_positional_or_network_not_both(one_road):
    res = runner.invoke(app, ["plan", "interdict", "bamako-2025", "-b", "1", "--json"])
    assert res.exit_code == 0, res.output
    body = strict_loads(res.stdout)
    assert body["objective"] == 230 and body["attack"] in (["kati-bamako"], ["bougouni-bamako"])
    res = runner.invoke(app, ["plan", "interdict", "bamako-2025", *one_road])
    assert res.exit_code == 2 and "not both" in res.output
    res = runner.invoke(app, ["plan", "interdict", *one_road, "-b", "1", "--json"])
    assert strict_loads(res.stdout)["objective"] == 0.0


def test_names_are_whole_in_piped_tables():
    """Piped, the route and segment tables print every name in full (no '…')."""
    body = strict_loads(runner.invoke(app, ["plan", "route", "--json"]).stdout)
    res = runner.invoke(app, ["plan", "route"])
    assert res.exit_code == 0 and "…" not in res.output
    for r in body["details"]["routes"]:
        assert f"│ {r['route']} " in res.output, r["route"]
    res = runner.invoke(app, ["plan", "escorts", "-k", "1", "-b", "1"])
    assert res.exit_code == 0 and "…" not in res.output
    assert all(f"│ {s} " in res.output for s, f in strict_loads(runner.invoke(
        app, ["plan", "escorts", "-k", "1", "-b", "1", "--json"]).stdout)["flows"].items()
        if f > 1e-9)


def test_escorts_curve_and_note_when_escorts_gain_nothing(tmp_path):
    """Two roads s-a-t (10 a segment) and s-b-t (5), budget 1: one escort gains nothing (the
    adversary cuts the other segment of the big road), two escorts on the big road give 10."""
    path = tmp_path / "roads.csv"
    path.write_text("a,b,id,capacity_tankers_per_day,length_km\n"
                    "s,a,sa,10,1\na,t,at,10,1\ns,b,sb,5,1\nb,t,bt,5,1\n")
    args = ["plan", "escorts", "--network", str(path), "--source", "s", "--sink", "t", "-b", "1"]
    res = runner.invoke(app, [*args, "-k", "1"])
    assert res.exit_code == 0, res.output
    assert "the escorts gain nothing" in " ".join(res.output.split())
    res = runner.invoke(app, [*args, "-k", "2", "--curve"])
    assert res.exit_code == 0, res.output
    rows = [line.split("│")[1:4] for line in res.output.splitlines() if line.count("│") > 6]
    curve = {r[0].strip(): (r[1].strip(), r[2].strip()) for r in rows if r[0].strip().isdigit()}
    assert curve == {"0": ("5.0", "+0.0"), "1": ("5.0", "+0.0"), "2": ("10.0", "+5.0")}
    assert "gain nothing" not in res.output


def test_robust_route(tmp_path):
    out = tmp_path / "robust.json"
    res = runner.invoke(app, ["plan", "robust-route", "--samples", "60", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "CVaR 0.9" in res.output and "robust" in res.output
    body = strict_loads(out.read_text())
    assert [p["plan"] for p in body["details"]["plans"]] == ["central", "expected", "robust"]


def test_robust_route_seed_is_s():
    """-s seeds the planning draws: the same seed gives the API's plans, another seed others."""
    from siegeline.planning.uncertainty import robust_scenario_routing
    from siegeline.scenario.loader import load_scenario

    def means(args):
        res = runner.invoke(app, ["plan", "robust-route", "bamako-2025", "-N", "20", *args,
                                  "--json"])
        assert res.exit_code == 0, res.output
        return strict_loads(res.stdout)["details"]["in_sample_mean"]

    api = robust_scenario_routing(load_scenario("bamako-2025"), samples=20, seed=7)
    assert means(["-s", "7"]) == pytest.approx(api.details["in_sample_mean"], rel=1e-9)
    assert means(["-s", "8"]) != pytest.approx(api.details["in_sample_mean"], rel=1e-9)


def test_interdict_success_hazard_is_stochastic_interdiction(one_road, tmp_path):
    res = runner.invoke(app, ["plan", "interdict", "--success", "hazard", "-b", "1", "-N", "200",
                              "--batches", "2", "--eval-samples", "400", "--json"])
    assert res.exit_code == 0, res.output
    out = strict_loads(res.stdout)
    assert out["problem"].startswith("stochastic max-flow interdiction")
    assert out["attack"] == ["sikasso-bougouni"] and out["check"]["ok"]
    low, high = out["details"]["expected_max_flow"]["ci95"]
    assert low <= out["objective"] <= high
    loss = out["details"]["expected_loss"]  # paired over the same scenarios
    assert loss["estimate"] == pytest.approx(out["baseline"] - out["objective"])
    assert 0 < loss["ci95"][0] <= loss["estimate"] <= loss["ci95"][1]
    # a network file without hazards: no attack can succeed, the flow stays whole
    res = runner.invoke(app, ["plan", "interdict", *one_road, "--success", "hazard", "-N", "50",
                              "--batches", "1", "--eval-samples", "50", "--json"])
    assert res.exit_code == 0, res.output
    assert strict_loads(res.stdout)["objective"] == pytest.approx(10.0)
    res = runner.invoke(app, ["plan", "interdict", "--success", "hazard", "--curve"])
    assert res.exit_code == 2 and "--curve" in res.output
