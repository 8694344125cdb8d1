"""Links of the runtime documents lead to operations that take what they pass (codegen/links.py)."""

from __future__ import annotations

import json
import shutil

import pytest

from codegen.document import operations
from codegen.links import link_origins, link_problems
from codegen.parser import parse
from codegen.render import ROOT, api_configs
from tests.codegen.test_generator import FIXTURE, mini_config


def runtime(name: str) -> dict:
    return json.loads((ROOT / "generated" / name / "openapi.json").read_text())


def links_to(document: dict, operation_id: str) -> list[tuple[str, str]]:
    """(source operationId, link name) of every link whose target is ``operation_id``."""
    return [
        (op["operationId"], name)
        for _, _, _, op in operations(document)
        for response in op.get("responses", {}).values()
        for name, link in response.get("links", {}).items()
        if link.get("operationId") == operation_id
    ]


def operation(document: dict, operation_id: str) -> tuple[str, str, dict]:
    return next((path, method, op) for path, method, _, op in operations(document)
                if op.get("operationId") == operation_id)


@pytest.mark.parametrize("config", api_configs(), ids=lambda c: c.name)
def test_every_link_of_the_runtime_documents_leads_somewhere(config):
    assert link_problems(runtime(config.name)) == []


def test_removing_a_linked_operation_breaks_every_link_to_it():
    document = runtime("backlex")
    path, method, _ = operation(document, "get_org_project")
    del document["paths"][path][method]
    expected = links_to(runtime("backlex"), "get_org_project")
    assert expected, "the links overlay links to get_org_project"
    problems = link_problems(document)
    assert len(problems) == len(expected)
    for (source, name), problem in zip(expected, problems, strict=True):
        assert problem.startswith(f"{source} (") and f" link {name}: " in problem
        assert problem.endswith("operationId get_org_project names no operation of the document")


def test_a_link_parameter_the_target_no_longer_takes_is_named():
    document = runtime("backlex")
    _, _, target = operation(document, "get_org_project")
    target["parameters"] = [p for p in target["parameters"] if p["name"] != "projectSlug"]
    problems = link_problems(document)
    assert len(problems) == len(links_to(document, "get_org_project"))
    assert all(p.endswith("get_org_project has no parameter projectSlug") for p in problems)


def test_the_origins_name_the_overlay_that_added_the_link():
    overlays = {name: json.loads(path.read_text())
                for name, path in [("specs/backlex.links.overlay.json", ROOT / "specs" / "backlex.links.overlay.json")]}
    document = runtime("backlex")
    path, method, _ = operation(document, "get_org_project")
    del document["paths"][path][method]
    problems = link_problems(document, link_origins(overlays))
    assert problems and all(p.endswith(" (added by specs/backlex.links.overlay.json)") for p in problems)


SMALL = {
    "components": {"parameters": {"Slug": {"name": "slug", "in": "path", "required": True}}},
    "paths": {
        "/orgs": {"post": {"operationId": "create", "responses": {"201": {"links": {}}}}},
        "/orgs/{slug}": {
            "parameters": [{"$ref": "#/components/parameters/Slug"}],
            "get": {"operationId": "read", "parameters": [{"name": "expand", "in": "query"}], "responses": {}},
        },
    },
}


def small_problems(**links) -> list[str]:
    document = json.loads(json.dumps(SMALL))
    document["paths"]["/orgs"]["post"]["responses"]["201"]["links"] = links
    return link_problems(document)


def test_parameters_by_location_or_bare_name_include_the_path_items_own():
    assert small_problems(Read={"operationId": "read", "parameters": {"path.slug": "$response.body#/slug",
                                                                     "expand": "x", "query.expand": "x"}}) == []
    assert small_problems(Read={"operationId": "read", "parameters": {"query.slug": "x", "header.expand": "x"}}) == [
        "create (POST /orgs) response 201 link Read: read has no query parameter slug",
        "create (POST /orgs) response 201 link Read: read has no header parameter expand",
    ]


def test_a_request_body_for_an_operation_without_one_is_an_error():
    assert small_problems(Read={"operationId": "read", "requestBody": {"a": 1}}) == [
        "create (POST /orgs) response 201 link Read: read takes no request body, yet the link sets requestBody"]


def test_an_operation_ref_must_resolve_locally():
    assert small_problems(Read={"operationRef": "#/paths/~1orgs~1{slug}/get", "parameters": {"slug": "x"}}) == []
    assert small_problems(Read={"operationRef": "#/paths/~1orgs~1%7Bslug%7D/get"}) == []
    assert small_problems(Gone={"operationRef": "#/paths/~1orgs~1{slug}/delete"}) == [
        "create (POST /orgs) response 201 link Gone: operationRef #/paths/~1orgs~1{slug}/delete "
        "names no operation of the document"]


def test_codegen_reports_a_broken_link_with_its_overlay(tmp_path):
    shutil.copytree(FIXTURE / "specs", tmp_path / "specs")
    overlay_path = tmp_path / "specs" / "mini.overlay.json"
    overlay = json.loads(overlay_path.read_text())
    overlay["actions"].append({
        "target": "$.paths['/mini/v1/widgets'].post.responses['201']",
        "description": "Stateful chain: a created widget is polished",
        "update": {"links": {"Polish": {"operationId": "post_widget_shine", "parameters": {"id": "$response.body#/id"}}}},
    })
    overlay_path.write_text(json.dumps(overlay))
    problems = parse(mini_config(tmp_path)).problems
    assert [(p.level, p.message) for p in problems] == [(
        "error", "post_widgets (POST /widgets) response 201 link Polish: operationId post_widget_shine names no "
                 "operation of the document (added by specs/mini.overlay.json)")]
