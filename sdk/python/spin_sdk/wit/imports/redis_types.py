"""spin_sdk.wit.imports.redis_types: the types of the first Redis interface
(fermyon:spin redis-types): one general Error enum, and the parameter and
result types, the same classes as spin_sdk.wit.imports.redis's. The
functions that use them are spin_sdk.wit.imports.fermyon_spin_redis."""

from enum import Enum

from spin_sdk.wit.imports.redis import (  # noqa: F401
    RedisParameter,
    RedisParameter_Binary,
    RedisParameter_Int64,
    RedisResult,
    RedisResult_Binary,
    RedisResult_Int64,
    RedisResult_Nil,
    RedisResult_Status,
)

__all__ = ["Error", "RedisParameter", "RedisParameter_Int64", "RedisParameter_Binary",
           "RedisResult", "RedisResult_Nil", "RedisResult_Status", "RedisResult_Int64",
           "RedisResult_Binary"]


class Error(Enum):
    """General purpose error."""

    SUCCESS = 0
    ERROR = 1
