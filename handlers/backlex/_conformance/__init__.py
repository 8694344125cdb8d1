"""backlex's part of the conformance suite (README "Conformance suite").

``_plugin`` holds the tenants, the credentials contract, the narrowing and the isolation and
role checks; each public module holds the behaviour checks of one kind
(``conformance.behaviour``), each citing the docs/behaviour.md section it proves:
``ordering``, ``idempotence``, ``list_isolation``, ``paging``, ``handler_roles``, ``states``,
``limits`` and ``write_read``.
"""

from handlers.backlex._conformance._plugin import PLUGIN

__all__ = ["PLUGIN"]
