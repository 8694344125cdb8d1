"""spec_server.pipeline: per-request shortcuts that must answer what the long way answers."""

from __future__ import annotations

import inspect

from connexion.decorators.parameter import unwrap_decorators
from connexion.utils import inspect_function_arguments
from hypothesis import given
from hypothesis import strategies as st

from spec_server import pipeline

texts = st.text(alphabet=st.sampled_from(["a", "\x00", "\\", "u", "0", "é", "\n"]), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


@given(json_values)
def test_the_nul_check_answers_what_walking_the_value_answers(value):
    assert pipeline.has_nul(value) == pipeline._walk_has_nul(value)


def test_a_text_spelling_backslash_u0000_is_not_a_nul():
    assert not pipeline.has_nul({"note": "\\u0000 is how JSON writes it"})
    assert pipeline.has_nul({"note": "a real \x00"}) and pipeline.has_nul({"k\x00": 1})
    assert pipeline.has_nul([{1, 2}, "\x00"])  # a value orjson refuses (a set) is walked


def test_connexion_reads_the_precomputed_signature_of_a_wrapped_handler():
    def handler(body, workspace_id=None):
        return body

    def wrapper(*args, **kwargs):
        return handler(*args, **kwargs)

    wrapper.__wrapped__ = handler  # as functools.wraps leaves it
    wrapped = pipeline.with_signature(wrapper, inspect.signature(handler))
    # connexion unwraps before inspecting: it must stop at the wrapper, not reach the handler
    assert unwrap_decorators(wrapped) is wrapped
    assert inspect_function_arguments(wrapped) == (["body", "workspace_id"], False)
