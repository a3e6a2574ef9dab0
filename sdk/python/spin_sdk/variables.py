"""spin_sdk.variables: read the component's variables.

    value = variables.get("api_url")          # spin-sdk 3.x (sync)
    value = await variables.get("api_url")    # spin-sdk 4.0 (async)

Both spellings work with the same function: the returned string can also
be awaited (awaiting it gives the plain `str`).

The names are the component's (`[component.<id>.variables]` in spin.toml);
their values may be templates over the app's `[variables]`, which the host
resolves at start-up from `--variable name=value`, the environment
variable `SPIN_VARIABLE_<NAME>`, or the declared default.

Errors are raised as `spin_sdk.wit.types.Err` whose `.value` is one of
`spin_sdk.wit.imports.variables.Error_InvalidName` (not lower_snake_case),
`Error_Undefined` (the component declares no such variable),
`Error_Provider` or `Error_Other`, each carrying a message.
"""

import pyedge_hostcall as _hc
from spin_sdk.wit.imports.variables import (
    Error_InvalidName,
    Error_Other,
    Error_Provider,
    Error_Undefined,
)
from spin_sdk.wit.types import Err

__all__ = ["get"]


class _Value(str):
    """A str that may also be awaited (spin-sdk 4.0's `async get`)."""

    __slots__ = ()

    def __await__(self):
        return str(self)
        yield  # makes this a generator: `await` runs it and gets the str


def get(key: str) -> str:
    """The value of the component variable `key`."""
    if not isinstance(key, str):
        raise Err(Error_InvalidName(f"a variable name must be a str, not {type(key).__name__}"))
    try:
        (value,) = _hc.call("vars.get", key)
    except _hc.Invalid as e:
        raise Err(Error_InvalidName(e.message)) from None
    except _hc.NotFound as e:
        raise Err(Error_Undefined(e.message)) from None
    except _hc.HostCallError as e:
        raise Err(Error_Provider(e.message)) from None
    except ValueError as e:  # a reply that is not one blob
        raise Err(Error_Other(f"malformed reply from the host: {e}")) from None
    return _Value(value.decode("utf-8"))
