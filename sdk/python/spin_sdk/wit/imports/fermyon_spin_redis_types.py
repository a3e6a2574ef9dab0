"""spin_sdk.wit.imports.fermyon_spin_redis_types: the same types as
spin_sdk.wit.imports.redis_types (the name spin-sdk 4.0 gives them)."""

from spin_sdk.wit.imports.redis_types import *  # noqa: F401,F403
from spin_sdk.wit.imports.redis_types import __all__  # noqa: F401
