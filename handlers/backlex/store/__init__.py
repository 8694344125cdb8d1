"""The backlex store: every table of the backlex API, one module per area.

``MODELS`` lists them all for migrations; import models from here.
"""

from handlers.backlex.store.core import *  # noqa: F403
from handlers.backlex.store.core import MODELS as _CORE

MODELS = (*_CORE,)
