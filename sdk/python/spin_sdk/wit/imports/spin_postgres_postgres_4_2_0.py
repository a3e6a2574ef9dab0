"""spin_sdk.wit.imports.spin_postgres_postgres_4_2_0: the same Connection, values and error variants
as spin_sdk.wit.imports.postgres (one implementation serves every version)."""

from spin_sdk.wit.imports.postgres import *  # noqa: F401,F403
