"""bench.inprocess: the time under each of our layers, from py-spy's collapsed stacks."""

from __future__ import annotations

from bench import inprocess


def test_layers_count_only_the_timed_calls_and_each_sample_once_per_layer(tmp_path):
    collapsed = tmp_path / "stacks.txt"
    collapsed.write_text("\n".join([
        "main (x.py:1);_call (bench/inprocess.py:80);security_hook.<locals>.authorize (spec_server/pipeline.py:170);"
        "authorize (handlers/pathmode/_api.py:150);Prepared.execute (spec_server/compiled.py:174) 30",
        "main (x.py:1);_call (bench/inprocess.py:80);wrap.<locals>.handler (spec_server/pipeline.py:104) 50",
        "main (x.py:1);_call (bench/inprocess.py:80);Router.app (starlette/routing.py:685) 20",
        "main (x.py:1);warm_up (x.py:9) 500",  # outside the timed calls: not counted
    ]) + "\n")
    found = inprocess.layers(collapsed, per_request_us=200.0)
    assert found == {"our security step": 60.0, "  its API's authorize": 60.0,
                     "our handler (wrap.handler)": 100.0, "  statements (Prepared)": 60.0}
