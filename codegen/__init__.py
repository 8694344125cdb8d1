"""Spec → generated/ pipeline: overlay, normalise, parse, render.

The generator reads each upstream OpenAPI document in ``specs/``, applies the team's
overlay, turns the result into plain dataclasses (``parser``), and a thin renderer writes
``generated/<api>/``: the runtime document connexion loads, the ``TypedDict`` models the
handlers are typed with and the operation table.
"""
