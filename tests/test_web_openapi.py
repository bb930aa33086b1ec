"""The OpenAPI schema says what the server does: the error answers, the content types of
downloads and streams, the engines, and OPTIONS names the right methods."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from siegeline.web import WebSettings, create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = tmp_path_factory.mktemp("api") / "s.duckdb"
    with TestClient(create_app(WebSettings(store_path=store)), base_url="http://localhost") as c:
        yield c


def test_error_answers_are_documented(client):
    spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            codes = set(op["responses"])
            assert {"400", "401", "413", "504"} <= codes, (method, path)
            if path.startswith("/api/runs/{run_id}"):
                assert {"404", "409"} <= codes, (method, path)
    assert {"422", "429"} <= set(spec["paths"]["/api/runs"]["post"]["responses"])
    error = spec["components"]["schemas"]["ErrorBody"]
    assert "detail" in error["properties"]
    # And an undocumented answer really is what the server sends.
    assert set(client.get("/api/runs/nope/summary").json()) == {"detail"}


def test_content_types_and_enums(client):
    paths = client.get("/openapi.json").json()["paths"]
    download = paths["/api/runs/{run_id}/download"]["get"]["responses"]["200"]["content"]
    assert set(download) == {"application/vnd.apache.parquet", "text/csv"}
    stream = paths["/api/runs/{run_id}/stream"]["get"]["responses"]["200"]["content"]
    assert set(stream) == {"text/event-stream"}
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["RunRequest"]["properties"]["engine"]["enum"] == ["vectorized", "reference"]
    assert "delete" in paths["/api/runs/{run_id}"]


def test_options_names_the_methods_of_the_path(client):
    assert client.options("/api/scenarios/validate").headers["allow"] == "POST"
    assert client.options("/api/scenarios/bamako-2025").headers["allow"] == "GET"


def test_run_size_limits_are_the_servers(tmp_path):
    settings = WebSettings(store_path=tmp_path / "s.duckdb", max_replications=500, max_days=90)
    with TestClient(create_app(settings), base_url="http://localhost") as c:
        schemas = c.get("/openapi.json").json()["components"]["schemas"]
        for model in ("RunRequest", "RunSize"):
            props = schemas[model]["properties"]
            assert props["replications"]["anyOf"][0]["maximum"] == 500, model
            assert props["days"]["anyOf"][0]["maximum"] == 90, model
        # ... and the server keeps to them.
        assert c.post("/api/runs", json={"replications": 501, "days": 2}).status_code == 422
        assert c.post("/api/runs", json={"replications": 2, "days": 91}).status_code == 422


def test_the_servers_own_answers_have_typed_schemas(client):
    paths = client.get("/openapi.json").json()["paths"]

    def schema(path: str, method: str, code: str) -> str:
        return paths[path][method]["responses"][code]["content"]["application/json"][
            "schema"]["$ref"].rsplit("/", 1)[-1]

    assert schema("/api/runs", "post", "202") == "RunStarted"
    assert schema("/api/runs", "get", "200") == "RunList"
    assert schema("/api/runs/{run_id}/progress", "get", "200") == "Progress"
    assert schema("/api/runs/{run_id}", "delete", "200") == "Progress"
    assert schema("/api/scenarios/{name}/validate", "post", "200") == "Validation"
    assert schema("/api/health", "get", "200") == "Health"
    assert schema("/api/runs/{run_id}", "get", "200") == "RunRecord"
    assert schema("/api/runs/{run_id}/summary", "get", "200") == "Summary"
    assert schema("/api/runs/{run_id}/quantiles/{variable}", "get", "200") == "Quantiles"
    assert schema("/api/runs/{run_id}/stockout", "get", "200") == "Stockout"
    assert schema("/api/runs/{run_id}/charts/{chart}", "get", "200") == "PlotlyFigure"
    assert schema("/api/runs/{run_id}/map", "get", "200") == "PlotlyFigure"
    assert schema("/api/compare", "get", "200") == "Comparison"
    assert schema("/api/compare/charts/{chart}", "get", "200") == "PlotlyFigure"
    row = client.get("/openapi.json").json()["components"]["schemas"]["SummaryRow"]
    assert {"indicator", "day", "median", "p05", "p95"} <= set(row["required"])
    status = client.get("/openapi.json").json()["components"]["schemas"]["Progress"][
        "properties"]["status"]
    assert set(status["enum"]) == {"queued", "running", "saving", "done", "failed", "cancelled",
                                   "interrupted"}


def test_fixed_sets_are_enums(client):
    spec = client.get("/openapi.json").json()
    scenario = spec["components"]["schemas"]["RunRequest"]["properties"]["scenario"]
    assert scenario.get("enum", [scenario.get("const")]) == ["bamako-2025"]  # one: a const
    variable = next(p for p in spec["paths"]["/api/runs/{run_id}/quantiles/{variable}"]["get"][
        "parameters"] if p["name"] == "variable")
    assert {"cover_days", "queue_wait_hours", "informal_price"} <= set(variable["schema"]["enum"])
    assert client.post("/api/runs", json={"scenario": "atlantis"}).status_code == 422


ODD_VALUES = ["latest", "x", "..%2F..%2Fetc", "0", "-1", "1e309", "true", "%00", "é" * 70,
              "bamako-2025", "diesel", "cover_days", "999999999999999999999"]


def test_every_get_route_answers_odd_values_without_a_server_error(tmp_path, bamako):
    """A small schema-driven fuzz: every GET operation of the schema, each path and query
    parameter set in turn to odd values (enum members included), against a store with a run."""
    from siegeline.engines import simulate
    from siegeline.results.store import ResultStore

    store = ResultStore(tmp_path / "s.duckdb")
    store.save(simulate(bamako, replications=4, days=12, seed=1), bamako.model_dump_json())
    app = create_app(WebSettings(store_path=store.path))
    with TestClient(app, base_url="http://localhost", raise_server_exceptions=False) as c:
        paths = c.get("/openapi.json").json()["paths"]
        answered = 0
        for path, methods in paths.items():
            op = methods.get("get")
            if op is None or path.startswith("/api/plan"):  # planning solves: their own tests
                continue
            params = op.get("parameters", [])
            for target in params or [None]:
                for value in ODD_VALUES:
                    url, query = path, {}
                    for p in params:
                        enum = p["schema"].get("enum") or [None]
                        chosen = value if p is target else (enum[0] or "latest")
                        if p["in"] == "path":
                            url = url.replace("{" + p["name"] + "}", chosen)
                        else:
                            query[p["name"]] = chosen
                    resp = c.get(url, params=query)
                    assert resp.status_code < 500, (url, query, resp.text[:200])
                    answered += 1
        assert answered > 300
