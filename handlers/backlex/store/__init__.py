"""The backlex store: every table of the backlex API, one module per area.

``MODELS`` lists them all for migrations; import models from here.
"""
# mypy: disable-error-code="assignment"
# (each module's star import brings its own MODELS, with its own type, before the last one here)

from handlers.backlex.store.billing import *  # noqa: F403
from handlers.backlex.store.billing import MODELS as _BILLING
from handlers.backlex.store.core import *  # noqa: F403
from handlers.backlex.store.core import MODELS as _CORE
from handlers.backlex.store.enterprise import *  # noqa: F403
from handlers.backlex.store.enterprise import MODELS as _ENTERPRISE
from handlers.backlex.store.integrations import *  # noqa: F403
from handlers.backlex.store.integrations import MODELS as _INTEGRATIONS
from handlers.backlex.store.members import *  # noqa: F403
from handlers.backlex.store.members import MODELS as _MEMBERS
from handlers.backlex.store.projects import *  # noqa: F403
from handlers.backlex.store.projects import MODELS as _PROJECTS
from handlers.backlex.store.usage import *  # noqa: F403
from handlers.backlex.store.usage import MODELS as _USAGE

MODELS = (*_CORE, *_BILLING, *_ENTERPRISE, *_MEMBERS, *_USAGE, *_PROJECTS, *_INTEGRATIONS)
