"""Agent prompts for an intent (GET /intents/{id}/prompt).

``{prompt, json}``: ``prompt`` is rendered from ``templates/prompts/<agent>.<md|json>.jinja``;
``json`` is the structured payload the templates render from. In execute mode an intent that
is not ready for execution is 422 ``{error, readiness, suggestion}``.
"""

from __future__ import annotations

from handlers.pathmode import _readiness, _spec_context, _templates
from handlers.pathmode._common import current_workspace
from spec_server.choices import Keyed

DEFAULT_AGENT, DEFAULT_MODE, DEFAULT_FORMAT = "claude-code", "execute", "markdown"
TEMPLATE_SUFFIX = {"markdown": "md", "json": "json"}


def agents_with_templates() -> frozenset[str]:
    """The agents that have a prompt template in every format (the document lists the agents)."""
    named = [path.name.split(".")[0] for path in (_templates.TEMPLATE_DIR / "prompts").glob("*.jinja")]
    return frozenset(agent for agent in named if not agent.startswith("_") and all(
        (_templates.TEMPLATE_DIR / "prompts" / f"{agent}.{suffix}.jinja").exists() for suffix in TEMPLATE_SUFFIX.values()))


KEYED = (Keyed(__name__, "TEMPLATE_SUFFIX", TEMPLATE_SUFFIX, "get_intents_id_prompt", "format"),
         Keyed(__name__, "templates/prompts/<agent>.{md,json}.jinja", agents_with_templates(),
               "get_intents_id_prompt", "agent_type"))


def render_prompt(context: dict, *, agent_type: str, mode: str, output_format: str) -> str:
    """The prompt text for one agent and format; pure, so golden tests call it directly."""
    name = f"prompts/{agent_type}.{TEMPLATE_SUFFIX[output_format]}.jinja"
    return _templates.render(name, mode=mode, **context)


def prompt_json(context: dict, *, agent_type: str, mode: str) -> dict:
    return {
        "agentType": agent_type,
        "mode": mode,
        **context["spec"],
        "product": context["product"],
        "strategy": context["strategy"],
        "constitutionRules": context["rules"],
        "evidence": context["evidence"],
        "readiness": context["readiness"],
    }


def prompt_response(intent, *, agent_type=None, mode=None, output_format=None):
    agent_type, mode = agent_type or DEFAULT_AGENT, mode or DEFAULT_MODE
    output_format = output_format or DEFAULT_FORMAT
    context = _spec_context.intent_context(intent, current_workspace())
    if mode == "execute" and not context["readiness"]["isReadyForExecution"]:
        raise _readiness.not_ready("Intent is not ready for execution.", context["readiness"])
    prompt = render_prompt(context, agent_type=agent_type, mode=mode, output_format=output_format)
    return {"prompt": prompt, "json": prompt_json(context, agent_type=agent_type, mode=mode)}, 200
