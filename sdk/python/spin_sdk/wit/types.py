"""spin_sdk.wit.types: the result types of spin-sdk's generated bindings.

Host calls that fail raise `Err(value)`, where `value` is the interface's
error variant (for example `spin_sdk.wit.imports.variables.Error_Undefined`).
`Ok` and `Some` exist for code that builds or matches results itself."""

from dataclasses import dataclass
from typing import Generic, TypeVar, Union

__all__ = ["Ok", "Err", "Some", "Result"]

T = TypeVar("T")
E = TypeVar("E")


@dataclass
class Ok(Generic[T]):
    value: T


@dataclass
class Err(Generic[E], Exception):
    """Raised by a failing call; `.value` is the error variant."""

    value: E

    def __str__(self):
        return str(self.value)


@dataclass
class Some(Generic[T]):
    value: T


Result = Union[Ok[T], Err[E]]
