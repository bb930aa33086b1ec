import json

import pytest

from siegeline.scenario import (
    Scenario,
    ScenarioError,
    UncertainRange,
    apply_overrides,
    load_raw,
    load_scenario,
    packaged_scenarios,
    resolve_path,
    validate_scenario,
)


def test_default_scenario_is_packaged_and_complete(bamako):
    assert "bamako-2025" in packaged_scenarios()
    assert str(bamako.simulation.start_date) == "2025-09-03"
    names = {c.name for c in bamako.corridors}
    assert names == {"dakar-kayes-kita", "dakar-kayes-diema", "abidjan-zegoua",
                     "abidjan-tengrela", "conakry-kouremale", "nouakchott-nioro"}
    north = bamako.corridor("dakar-kayes-diema").path
    assert north[4:7] == ["diema", "didieni", "kolokani"]
    assert bamako.corridor("nouakchott-nioro").path[3:5] == ["gogui", "nioro"]
    # National demand excluding power is the uncertain 2.5-3.5 million L/day of the facts table.
    non_power = sum(v for s in bamako.city.sectors if s.name != "power"
                    for v in s.demand_litres_per_day.values())
    mult = bamako.city.demand_multiplier
    assert isinstance(mult, UncertainRange)
    assert non_power * mult.low == pytest.approx(2.5e6)
    assert non_power * mult.high == pytest.approx(3.5e6)


def _numeric_leaves(model, prefix=""):
    """Dotted paths of every number in a scenario (list items by name or id)."""
    if isinstance(model, UncertainRange):
        yield prefix
        return
    if hasattr(type(model), "model_fields"):
        for name in type(model).model_fields:
            if name == "sources":
                continue
            yield from _numeric_leaves(getattr(model, name), f"{prefix}{name}.")
    elif isinstance(model, list):
        for i, item in enumerate(model):
            key = getattr(item, "id", None) or getattr(item, "name", None) or str(i)
            yield from _numeric_leaves(item, f"{prefix}{key}.")
    elif isinstance(model, dict):
        for k, v in model.items():
            yield from _numeric_leaves(v, f"{prefix}{k}.")
    elif isinstance(model, int | float) and not isinstance(model, bool):
        yield prefix


def test_every_figure_of_the_default_scenario_has_a_source(bamako):
    sources = bamako.sources
    missing = []
    for path in _numeric_leaves(bamako):
        path = path.rstrip(".")
        parts = path.split(".")
        # A source may cover a figure or any of its parents (e.g. a whole policy block).
        if not any(".".join(parts[:i]) in sources for i in range(len(parts), 0, -1)):
            missing.append(path)
    # Structural settings that are choices, not facts, need no source.
    exempt = ("simulation.replications", "simulation.seed", "city.stockout")
    missing = [m for m in missing if not m.startswith(exempt)]
    assert not missing, missing[:20]
    for path in sources:
        resolve_path(bamako, path)  # every source key names a real parameter
    assert sources["products.diesel.official_price"].fact == "pump_price_diesel"


def test_json_schema_has_units_and_descriptions():
    schema = Scenario.model_json_schema()
    seg = schema["$defs"]["Segment"]["properties"]
    assert seg["length_km"]["unit"] == "km"
    assert "hazard" in seg["hazard_per_100km"]["description"]
    json.dumps(schema)


@pytest.mark.parametrize(
    ("override", "path_fragment", "words"),
    [
        ("adversary.intensity=-1", "adversary", "greater than or equal to 0"),
        ("corridors.abidjan-zegoua.policy.max_size=0", "corridors[2](abidjan-zegoua).policy"
         ".max_size", "greater than or equal to 1"),
        ("segments.kati-bamako.length_km=nan", "segments[9](kati-bamako).length_km", ""),
        ("escorts.pool_size=lots", "escorts.pool_size", "integer"),
        ("simulation.start_date=2025-13-45", "simulation.start_date", "date"),
    ],
)
def test_invalid_values_name_the_field(override, path_fragment, words):
    with pytest.raises(ScenarioError) as err:
        load_scenario("bamako-2025", [override])
    text = str(err.value)
    assert path_fragment in text
    assert words in text
    assert "Traceback" not in text


def test_structural_errors_are_reported():
    data = load_raw("bamako-2025")
    data = apply_overrides(data, ["corridors.conakry-kouremale.path=[conakry, mamou, kankan]",
                                  "segments.siby-bamako.b=timbuktu"])
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data)
    text = str(err.value)
    assert "does not reach the city" in text
    assert "unknown node 'timbuktu'" in text


def test_unknown_field_and_bad_override_path():
    with pytest.raises(ScenarioError, match="Extra inputs are not permitted"):
        load_scenario("bamako-2025", ["adversary.ferocity=3"])
    with pytest.raises(ScenarioError, match="no list item named 'atlantis'"):
        load_scenario("bamako-2025", ["corridors.atlantis.order_share=1"])


def test_malformed_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML/JSON at line"):
        load_scenario(bad)
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="mapping"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="no scenario file"):
        load_scenario(tmp_path / "missing.yaml")


def test_range_shorthand_and_bounds():
    s = load_scenario("bamako-2025", ["adversary.intensity=[0.5, 2]"])
    assert s.adversary.intensity == UncertainRange(low=0.5, high=2.0)
    with pytest.raises(ScenarioError, match="high .* must be >= low"):
        load_scenario("bamako-2025", ["adversary.intensity=[2, 0.5]"])
    with pytest.raises(ScenarioError, match="less than or equal to 1"):
        load_scenario("bamako-2025", ["adversary.destroy_share=[0.5, 1.5]"])


def test_json_and_yaml_files_load_identically(tmp_path, bamako):
    path = tmp_path / "copy.json"
    path.write_text(bamako.model_dump_json(), encoding="utf-8")
    assert load_scenario(path) == bamako
