"""`siegeline plan ...` end to end on the packaged scenario."""

import json

from typer.testing import CliRunner

from siegeline.cli.main import app

runner = CliRunner()


def test_interdict_writes_map_and_json(tmp_path):
    png, out = tmp_path / "map.png", tmp_path / "r.json"
    res = runner.invoke(
        app, ["plan", "interdict", "-b", "1", "--map", str(png), "--json", str(out)]
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
        ["plan", "interdict", "--scenario", "no-such-scenario"],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output


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
    res = runner.invoke(app, ["plan", "robust-route", "--samples", "60", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "CVaR 0.9" in res.output and "robust" in res.output
    body = json.loads(out.read_text())
    assert [p["plan"] for p in body["details"]["plans"]] == ["central", "expected", "robust"]
