"""The conformance suite: schemathesis phases, our checks, isolation and roles (README "Conformance suite")."""
