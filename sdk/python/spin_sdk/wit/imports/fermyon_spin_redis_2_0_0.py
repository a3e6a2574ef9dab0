"""spin_sdk.wit.imports.fermyon_spin_redis_2_0_0: fermyon:spin/redis@2.0.0,
whose functions are synchronous in every spin-sdk generation (a 4.0 app
awaits spin:redis/redis@3.0.0, spin_sdk.redis, instead). The parameter,
result and error types are spin_sdk.wit.imports.redis's; see its docstring."""

from spin_sdk.wit.imports import redis as _redis
from spin_sdk.wit.imports.redis import *  # noqa: F401,F403
from spin_sdk.wit.imports.redis import __all__  # noqa: F401


class Connection(_redis.Connection):
    """A Connection whose methods answer at once, also in a 4.0 app."""

    __slots__ = ()
    _sync_only = True
