"""A real client's view: Schemathesis generates requests from /openapi.json and checks that the
server answers none of them with a 5xx, that every status code and content type it answers is
documented, and that every JSON body conforms to the documented schema. In process (ASGI), no
network; a few examples per operation keep it under a minute on 2 cores."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from siegeline.engines import simulate
from siegeline.results.store import ResultStore
from siegeline.web import WebSettings, create_app

TOKEN = "schemathesis-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}  # with a token, any Host is served
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory, bamako):
    store = ResultStore(tmp_path_factory.mktemp("schemathesis") / "s.duckdb")
    for seed in (1, 2):  # runs for 'latest' and the comparison
        store.save(simulate(bamako, replications=4, days=12, seed=seed),
                   bamako.model_dump_json())
    app = create_app(WebSettings(store_path=store.path, token=TOKEN))
    return schemathesis.openapi.from_asgi("/openapi.json", app, headers=AUTH)


# Starting runs spawns processes, planning solves and forecasts take seconds: they have their
# own tests.
schema = (schemathesis.pytest.from_fixture("api_schema")
          .exclude(path="/api/runs", method="POST").exclude(path_regex="^/api/plan/")
          .exclude(path_regex="/forecast$"))


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_answers_are_what_the_schema_says(case):
    case.call_and_validate(headers=AUTH, checks=CHECKS)
