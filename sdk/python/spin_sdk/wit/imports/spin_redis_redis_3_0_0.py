"""spin_sdk.wit.imports.spin_redis_redis_3_0_0: the same Connection, parameter, result and
error types as spin_sdk.wit.imports.redis (one implementation serves every
generation of the interface; see its docstring)."""

from spin_sdk.wit.imports.redis import *  # noqa: F401,F403
from spin_sdk.wit.imports.redis import __all__  # noqa: F401
