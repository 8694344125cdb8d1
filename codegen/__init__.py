"""Spec → generated/ pipeline: overlay, normalise, parse, render.

The generator reads each upstream OpenAPI document in ``specs/``, applies the team's
overlay, turns the result into plain dataclasses (``parser``), and a thin renderer writes
``generated/<api>/``: the runtime document connexion loads, pydantic models and the
operation table.
"""
