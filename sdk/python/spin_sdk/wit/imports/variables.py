"""spin_sdk.wit.imports.variables: the error variants of Spin's variables
interface (fermyon:spin/variables@2.0.0), raised as
`spin_sdk.wit.types.Err(<variant>)` by spin_sdk.variables.get."""

from dataclasses import dataclass

__all__ = ["Error_InvalidName", "Error_Undefined", "Error_Provider", "Error_Other", "Error"]


@dataclass
class Error_InvalidName:
    """The name is not a valid variable name (lower_snake_case)."""

    value: str


@dataclass
class Error_Undefined:
    """The component has no variable by that name."""

    value: str


@dataclass
class Error_Provider:
    """The provider that holds the value failed."""

    value: str


@dataclass
class Error_Other:
    value: str


Error = Error_InvalidName | Error_Undefined | Error_Provider | Error_Other
