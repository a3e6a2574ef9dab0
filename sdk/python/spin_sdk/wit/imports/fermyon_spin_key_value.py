"""spin_sdk.wit.imports.fermyon_spin_key_value: the same Store and error variants as
spin_sdk.wit.imports.key_value (one implementation serves every
generation of the interface; see its docstring)."""

from spin_sdk.wit.imports.key_value import *  # noqa: F401,F403
from spin_sdk.wit.imports.key_value import __all__  # noqa: F401
