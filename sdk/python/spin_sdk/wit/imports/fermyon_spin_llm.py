"""spin_sdk.wit.imports.fermyon_spin_llm: the same functions, records and error
variants as spin_sdk.wit.imports.llm (one implementation serves every
generation of the interface; see its docstring)."""

from spin_sdk.wit.imports.llm import *  # noqa: F401,F403
from spin_sdk.wit.imports.llm import __all__  # noqa: F401
