"""spin_sdk.wit.imports.fermyon_spin_rdbms_types: the values, columns and errors of
spin_sdk.wit.imports.rdbms_types (one implementation serves every version)."""

from spin_sdk.wit.imports.rdbms_types import *  # noqa: F401,F403
from spin_sdk.wit.imports.rdbms_types import __all__  # noqa: F401
