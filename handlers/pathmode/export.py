"""pathmode — export: workspace context as an agent file (GET /api/v1/export).

claude-md and agents-md render one body (``templates/export/context.md.jinja``) from the
workspace's substantive intents, newest update first, under a warnings block; cursorrules and
intent-md render one intent, ``intent_id`` or ``pick_best_intent``'s choice, which must be
ready for execution (422 otherwise). Success is a file, not JSON.
"""

from __future__ import annotations

from handlers.pathmode import (
    _intents,
    _readiness,
    _spec_context,
    _templates,
    review_page,  # noqa: F401  (registers /review/{token} with the app)
)
from handlers.pathmode._common import current_workspace, intent_in_workspace
from handlers.pathmode.store import Intent, Product, Workspace
from spec_server.choices import Keyed
from spec_server.errors import NotFound
from spec_server.responses import file_download

MARKDOWN, TEXT = "text/markdown; charset=utf-8", "text/plain; charset=utf-8"
FORMATS = {  # format -> (template, content type, filename)
    "claude-md": ("export/context.md.jinja", MARKDOWN, "CLAUDE.md"),
    "agents-md": ("export/context.md.jinja", MARKDOWN, "AGENTS.md"),
    "cursorrules": ("export/cursorrules.jinja", TEXT, ".cursorrules"),
    "intent-md": ("export/intent.md.jinja", MARKDOWN, "intent.md"),
}
# pick_best_intent: work that is next in line first (approved before validated before draft)
STATUS_RANK = {"approved": 0, "validated": 1, "draft": 2, "shipped": 3, "verified": 4}
KEYED = (Keyed(__name__, "FORMATS", FORMATS, "get_export", "format"),
         Keyed(__name__, "STATUS_RANK", STATUS_RANK, "patch_intents_id_status", "status"))


def workspace_intents(ws_id: str) -> list[Intent]:
    """INTENT_WITH_RELATIONS_SELECT order: updatedAt descending, then id."""
    return list(Intent.select().where(Intent.workspace == ws_id).order_by(Intent.updated_at.desc(), Intent.id))


def product_in_workspace(product_id: str, ws_id: str) -> Product:
    found = Product.get_or_none((Product.id == product_id) & (Product.workspace == ws_id))
    if found is None:
        raise NotFound("Product not found")
    return found


def resolve_product(ws: Workspace, product_id: str | None, intent_id: str | None) -> Product | None:
    """product_id, else the product of intent_id, else the earliest-created active product."""
    if product_id:
        return product_in_workspace(product_id, ws.id)
    if intent_id:
        intent = intent_in_workspace(intent_id, ws.id)
        return Product.get_or_none(Product.id == intent.product_id) if intent.product_id else None
    return (Product.select().where((Product.workspace == ws.id) & (Product.status == "active"))
            .order_by(Product.created_at, Product.id).first())


def context_warnings(entries: list[dict], stubs: int, rules: list[str], product) -> list[str]:
    """getContextWarnings: what an agent reading the file should know is missing."""
    warnings = []
    if stubs:
        warnings.append(f"{stubs} stub intent{'s were' if stubs > 1 else ' was'} left out of this export "
                        "(placeholder title or objective and no outcomes).")
    if not entries:
        warnings.append("No substantive intents: there is nothing for an agent to build yet.")
    for entry in entries:
        if not entry["readiness"]["isReadyForExecution"]:
            blockers = " ".join(entry["readiness"]["blockers"])
            warnings.append(f"\"{entry['spec']['title']}\" is not ready for execution: {blockers}")
    if not rules:
        warnings.append("No active constitution rules: agents get no guardrails.")
    if product is None:
        warnings.append("No product context: no active product in this workspace.")
    return warnings


def context_file(ws: Workspace, product: Product | None) -> str:
    entries, stubs = [], 0
    rules = _spec_context.rule_lines(ws.id)
    for intent in workspace_intents(ws.id):
        entry = _spec_context.intent_context(intent, ws, rules=rules)
        if entry["readiness"]["isSubstantive"]:
            entries.append(entry)
        else:
            stubs += 1
    values = {
        "workspace": ws.name,
        "warnings": context_warnings(entries, stubs, rules, product),
        "product": _spec_context.product_context(product),
        "strategy": _spec_context.strategy_of(ws),
        "rules": rules,
        "intents": entries,
    }
    return _templates.render(FORMATS["claude-md"][0], **values)


def pick_best_intent(ws: Workspace) -> Intent:
    """Ready intents first, then by status (approved, validated, draft, shipped, verified),
    then by readiness score, then the most recently updated."""
    candidates = [(intent, _readiness.evaluate(_intents.detail(intent))) for intent in workspace_intents(ws.id)]
    if not candidates:
        raise NotFound("No intents found in this workspace")
    best = min(enumerate(candidates), key=lambda pair: (
        not pair[1][1]["isReadyForExecution"], STATUS_RANK.get(pair[1][0].status, 9), -pair[1][1]["score"],
        pair[0]))
    return best[1][0]


def single_intent_file(ws: Workspace, template: str, intent_id: str | None) -> str:
    intent = intent_in_workspace(intent_id, ws.id) if intent_id else pick_best_intent(ws)
    context = _spec_context.intent_context(intent, ws)
    if not context["readiness"]["isReadyForExecution"]:
        raise _readiness.not_ready("Intent is not ready to export as agent context.", context["readiness"])
    return _templates.render(template, **context)


def get_export(format_=None, intent_id=None, product_id=None, workspace_id=None):
    """GET /api/v1/export"""
    export_format = format_ or "claude-md"
    template, content_type, filename = FORMATS[export_format]
    ws = current_workspace()
    if export_format in ("claude-md", "agents-md"):
        body = context_file(ws, resolve_product(ws, product_id, intent_id))
    else:
        body = single_intent_file(ws, template, intent_id)
    return file_download(body, content_type=content_type, filename=filename)
