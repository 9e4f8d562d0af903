"""Every answer of the API is typed in its OpenAPI schema, errors included.

Read from the schema /api/schema/ serves, independently of how it is built
(kluis.core.schema): a response is a named shape, never a bare `object`; an operation documents
the problems (RFC 9457, application/problem+json) it can answer; a POST that creates answers 201.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

METHODS = ("get", "put", "patch", "post", "delete")
PROBLEM = "application/problem+json"
#: Session logins never answer 401: DRF turns a missing session into 403 (no WWW-Authenticate).
SESSION = "cookieAuth"

#: POSTs that act on, or compute from, what exists and create nothing: each answers 200. Any
#: other POST creates and answers 201. Whoever adds a POST decides here which it is.
NOT_CREATING = {
    "/api/v1/retention/decisions/{id}/advice/": "adds the advice to the decision",
    "/api/v1/retention/decisions/{id}/approve/": "one side's approval of the decision",
    "/api/v1/retention/decisions/{id}/refuse/": "closes the decision",
    "/api/v1/retention/holds/{id}/release/": "closes the hold",
    "/api/v1/retention/mass-deletions/{id}/confirm/": "one of the two confirmations",
    "/api/v1/retention/policy-preview/": "computes a number, changes nothing",
}


@pytest.fixture(scope="module")
def schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def untyped(schema: dict, components: dict, where: str, seen=frozenset()) -> list[str]:
    """Where `schema` (or a part of it) is an object that says nothing about its contents."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        return untyped(components[name], components, f"{where} ({name})", seen | {name})
    found = []
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            found += untyped(part, components, where, seen)
    if schema.get("type") == "array":
        found += untyped(schema.get("items") or {"type": "object"}, components, f"{where}[]", seen)
    if schema.get("type") == "object" or "properties" in schema:
        extra = schema.get("additionalProperties")
        if not schema.get("properties") and not isinstance(extra, dict):
            found.append(where)
        for name, part in schema.get("properties", {}).items():
            found += untyped(part, components, f"{where}.{name}", seen)
        if isinstance(extra, dict):
            found += untyped(extra, components, f"{where}.*", seen)
    if not schema:
        found.append(where)
    return found


def test_there_are_operations_to_check(schema):
    paths = set(schema["paths"])
    assert "/api/v1/retention/recordings/{id}/" in paths
    assert "/api/v1/cameras/enrol/" in paths
    assert not [p for p in paths if p.startswith("/retention/")], "the old paths are gone"


def test_no_response_is_a_bare_object(schema):
    components = schema["components"]["schemas"]
    bare = []
    for path, method, op in operations(schema):
        for status, response in op["responses"].items():
            for media_type, content in response.get("content", {}).items():
                where = f"{method.upper()} {path} {status} {media_type}"
                bare += untyped(content.get("schema", {}), components, where)
    assert not bare, "responses without a typed schema:\n" + "\n".join(bare)


def expected_problems(path: str, op: dict) -> set[str]:
    """The problems an operation can answer, from what its schema says it is."""
    statuses = set()
    params = [p for p in op.get("parameters", []) if p["in"] != "path"]
    if "requestBody" in op or params:
        statuses.add("400")
    security = op.get("security", [{}])  # no security at all: open to anyone
    if {name for requirement in security for name in requirement} - {SESSION}:
        statuses.add("401")
    if {} not in security:
        statuses.add("403")  # not open to anonymous callers
    if "{" in path:
        statuses.add("404")
    return statuses


def test_every_operation_documents_its_problems(schema):
    missing, untyped_problems = [], []
    for path, method, op in operations(schema):
        where = f"{method.upper()} {path}"
        for status in sorted(expected_problems(path, op) - set(op["responses"])):
            missing.append(f"{where}: {status}")
        for status, response in op["responses"].items():
            if status >= "400":
                content = response.get("content", {})
                ref = content.get(PROBLEM, {}).get("schema", {}).get("$ref", "")
                if set(content) != {PROBLEM} or not ref.endswith("/Problem"):
                    untyped_problems.append(f"{where}: {status}")
    assert not missing, "operations without their error responses:\n" + "\n".join(missing)
    assert not untyped_problems, "errors that are not problem documents:\n" + "\n".join(
        untyped_problems
    )


def test_the_problem_document_is_described(schema):
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert "errors" in problem["properties"]


def test_a_post_that_creates_answers_201(schema):
    wrong = []
    posts = {path: op for path, method, op in operations(schema) if method == "post"}
    for path, op in posts.items():
        codes = set(op["responses"])
        if path in NOT_CREATING:
            if "201" in codes or "200" not in codes:
                wrong.append(f"POST {path} creates nothing: 200, not {sorted(codes)}")
        elif "201" not in codes:
            wrong.append(f"POST {path} creates: document 201 (or add it to NOT_CREATING)")
    stale = sorted(set(NOT_CREATING) - set(posts))
    assert not wrong, "\n".join(wrong)
    assert not stale, f"NOT_CREATING names operations that do not exist: {stale}"


def test_the_handler_answers_the_documented_problem_document(schema, db, client):
    """What kluis.core.problems.exception_handler sends is what the schema says it sends."""
    from rest_framework.exceptions import ValidationError

    from kluis.core.problems import exception_handler
    from kluis.organisations.models import Role
    from tests.factories import make_organisation, make_person
    from tests.login import log_in

    problem = schema["components"]["schemas"]["Problem"]
    preview = "/api/v1/retention/policy-preview/"
    nothing = "/api/v1/retention/recordings/00000000-0000-0000-0000-000000000000/"
    answers = [client.get(nothing)]  # not logged in
    log_in(client, make_person(make_organisation(), Role.FUNCTIONAL_ADMIN))
    answers.append(client.post(preview, {"retention_days": 0}, content_type="application/json"))
    answers.append(client.post(preview, "[1]", content_type="application/json"))
    answers.append(client.get(nothing))
    assert [r.status_code for r in answers] == [403, 400, 400, 404]
    for r in answers:
        assert r["Content-Type"] == PROBLEM
        jsonschema.validate(r.json(), problem)
    assert set(answers[1].json()["errors"]) == {"organisation", "retention_days"}
    assert set(answers[2].json()["errors"]) == {"non_field_errors"}
    # A ValidationError raised outside a serializer names the request as a whole.
    out = exception_handler(ValidationError(["Not like this."]), {})
    jsonschema.validate(out.data, problem)
    assert out.data["errors"] == {"non_field_errors": ["Not like this."]}
