"""Bad input never crashes: a deterministic corpus of 1,000 broken scenario files through the
CLI, every numeric field at extreme values through the loader and the engine, and engine edge
cases the schema accepts."""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np
import pytest
import typer
from click.testing import CliRunner

from fuzz.corpus import ENGINE_EDGES, base_document, get_at, leaves, scenario_corpus
from siegeline.cli.main import app
from siegeline.engines import simulate
from siegeline.scenario import ScenarioError, load_scenario, validate_scenario

CORPUS_SEED = 20250903
CORPUS_SIZE = 1000
FLOWS = ("delivered_litres", "destroyed_litres", "returned_litres")

# Built once: typer.testing.CliRunner rebuilds the whole command tree on every call.
COMMAND = typer.main.get_command(app)


def invoke(args: list[str]):
    return CliRunner().invoke(COMMAND, args)


def assert_clean(res, case) -> None:
    """Exit 0 (valid) or 2 (a user error), no traceback, and the message names the problem."""
    assert res.exception is None or isinstance(res.exception, SystemExit), (
        f"{case.name}: {res.exception!r}")
    assert res.exit_code in (0, 2), f"{case.name}: exit {res.exit_code}\n{res.output}"
    assert "Traceback" not in res.output, case.name
    if res.exit_code == 2:
        assert res.output.startswith("error:"), case.name
        text = res.output.lower()
        assert any(h.lower() in text for h in case.hints), (
            f"{case.name}: none of {case.hints} in\n{res.output}")


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenario-corpus")
    files = []
    for i, case in enumerate(scenario_corpus(CORPUS_SEED, CORPUS_SIZE)):
        path = folder / f"case{i:04d}{case.suffix}"
        path.write_bytes(case.content)
        files.append((case, path))
    return files


def test_corpus_is_deterministic_and_varied(corpus_files):
    a, b = scenario_corpus(7, 100), scenario_corpus(7, 100)
    assert [c.content for c in a] == [c.content for c in b]
    assert len({c.content for c, _ in corpus_files}) == CORPUS_SIZE
    kinds = {c.name.split("-")[0] for c, _ in corpus_files}
    assert {"set", "delete", "extra", "short", "unknown", "disconnect", "date", "truncated",
            "shape"} <= kinds


def test_validate_every_corpus_file(corpus_files):
    valid = 0
    for case, path in corpus_files:
        res = invoke(["validate", str(path)])
        assert_clean(res, case)
        if res.exit_code == 0:
            assert case.may_be_valid, f"{case.name} should have been rejected"
            valid += 1
    # Most mutations break the scenario; a minority (e.g. a label set to "") stay valid.
    assert 0 < valid < CORPUS_SIZE // 4


def test_run_a_sample_of_the_corpus(corpus_files):
    """`siegeline run` on every 100th file and on 10 files that validate (tiny runs)."""
    sample = [(c, p) for i, (c, p) in enumerate(corpus_files) if i % 100 == 0]
    valid = list(itertools.islice(((c, p) for c, p in corpus_files
                                   if c.may_be_valid and _loads(p)), 10))
    for case, path in sample + valid:
        res = invoke(["run", str(path), "-n", "3", "-d", "5", "--no-store"])
        assert_clean(res, case)
        if (case, path) in valid:
            assert res.exit_code == 0, res.output


def _loads(path) -> bool:
    try:
        load_scenario(path)
        return True
    except ScenarioError:
        return False


EXTREMES = (math.nan, math.inf, -math.inf, 1e308, 10**40, -1e9, 0, 1e-12)


def test_every_numeric_field_at_extreme_values():
    """Each number in the scenario set to NaN, ±inf, huge, negative, 0 and tiny: the loader
    raises ScenarioError naming the field, or the scenario is fine and runs to finite outputs."""
    base = base_document()
    values = {p: get_at(base, p) for p in leaves(base)}
    numeric = [p for p, v in values.items()
               if isinstance(v, int | float) and not isinstance(v, bool)]
    assert len(numeric) > 150
    # One path per field: which segment or node holds the number does not change how it is
    # validated; a final index does (a range's low and high, a posterior column).
    fields = {tuple(k if isinstance(k, str) or i == len(p) - 1 else "#"
                    for i, k in enumerate(p)): p for p in reversed(numeric)}
    assert len(fields) > 100
    accepted: dict[tuple, dict] = {}
    for path in fields.values():
        words = named_by_error(path)
        for value in EXTREMES:
            doc = copy.deepcopy(base)
            get_at(doc, path[:-1])[path[-1]] = value
            try:
                validate_scenario(doc)
            except ScenarioError as exc:
                assert exc.problems and all(w in str(exc) for w in words), (path, value, str(exc))
                continue
            assert math.isfinite(value) and abs(value) < 1e13, (path, value)
            # Run one representative per (field shape, value): list positions do not matter.
            shape = tuple(k if isinstance(k, str) else "#" for k in path)
            accepted.setdefault((shape, value), doc)
    assert accepted
    # The engine on every second accepted case keeps this test quick; the list is fixed.
    for (shape, value), doc in list(accepted.items())[::2]:
        try:
            result = simulate(validate_scenario(doc), replications=1, days=4, seed=3)
        except ScenarioError as exc:  # e.g. a road so slow no tanker arrives within 10 years
            assert exc.problems, (shape, value)
            continue
        check_outputs(result, f"{'.'.join(shape)}={value}")


def named_by_error(path: tuple) -> tuple[str, ...]:
    """What an error about the number at ``path`` must name: the field, and for a timeline change
    (``timeline[2].set["city.order_target_cover_days"]``) the entry too, as the error names the
    field of the scenario the change produces ("timeline[2] (2025-10-01): city: ...")."""
    field = next(str(k) for k in reversed(path) if isinstance(k, str))
    if path[0] == "timeline":
        return f"timeline[{path[1]}]", field.rsplit(".", 1)[-1]
    return (field,)


def check_outputs(result, label: str) -> None:
    """Finite outputs, exact fuel conservation (loaded = delivered + destroyed + returned + in
    transit + waiting at the city gate), non-negative stocks and counts."""
    ds = result.dataset
    for name in ds.data_vars:
        values = ds[name].values
        if values.dtype.kind == "f":
            assert np.isfinite(values).all(), f"{label}: {name} not finite"
        if name != "goods_price_index":
            assert (values >= 0).all(), f"{label}: {name} negative"
    loaded = ds["loaded_litres"].values.cumsum(1)
    balance = loaded - sum(ds[n].values.cumsum(1) for n in FLOWS)
    # Exact for whole-litre tanker loads; a fractional load leaves float rounding only.
    held = ds["in_transit_litres"].values + ds["gate_litres"].values
    np.testing.assert_allclose(balance, held, rtol=0,
                               atol=1e-9 * max(1.0, float(loaded.max())), err_msg=label)


@pytest.mark.parametrize("name, overrides", ENGINE_EDGES, ids=[n for n, _ in ENGINE_EDGES])
def test_engine_edge_cases(name, overrides):
    scenario = load_scenario("bamako-2025", overrides)
    if name == "long-slow-road":
        with pytest.raises(ScenarioError, match="days to reach the city"):
            simulate(scenario, replications=2, days=5, seed=1)
        return
    result = simulate(scenario, replications=4, days=1 if name == "one-station" else 30, seed=11)
    check_outputs(result, name)
    ds = result.dataset
    if name == "zero-fleet":
        assert ds["loaded_litres"].sum() == 0 and ds["delivered_litres"].sum() == 0
    if name == "no-adversary":
        assert ds["tankers_lost"].sum() == 0 and ds["attacks"].sum() == 0
        assert ds["attack_intensity"].max() == 0
    if name == "no-escorts":  # the --set pool holds over the timeline's reinforcements
        assert ds["escort_pool"].max() == 0 and ds["convoys_arrived"].sum() == 0
    if name == "zero-panic-cover":  # a zero threshold: any unserved litre is a stockout
        np.testing.assert_array_equal(ds["stockout"].values.astype(bool),
                                      ds["unserved_litres"].values > 0)
    if name == "total-ban":  # every driver respects a ban from day 0: nobody leaves a port
        assert ds["tankers_dispatched"].sum() == 0
    if name == "empty-depots":
        assert ds["stock_litres"].isel(day=0).sum() <= ds["delivered_litres"].isel(day=0).sum()
    if name == "certain-turnback":  # every loaded tanker through kita is turned back
        assert ds["delivered_by_corridor_litres"].sel(corridor="dakar-kayes-kita").isel(
            day=slice(10, None)).sum() == 0


def test_cli_bounds_huge_runs_before_allocating():
    res = invoke(["run", "bamako-2025", "-n", "1000000", "-d", "3650", "--no-store"])
    assert res.exit_code == 2 and "GiB" in res.output and "Traceback" not in res.output
    res = invoke(["run", "bamako-2025", "-n", "0"])
    assert res.exit_code == 2 and "Traceback" not in res.output
