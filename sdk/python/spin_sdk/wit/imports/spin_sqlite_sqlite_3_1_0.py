"""spin_sdk.wit.imports.spin_sqlite_sqlite_3_1_0: the same Connection, values and error
variants as spin_sdk.wit.imports.sqlite (one implementation serves every
generation of the interface; see its docstring)."""

from spin_sdk.wit.imports.sqlite import *  # noqa: F401,F403
from spin_sdk.wit.imports.sqlite import __all__  # noqa: F401
