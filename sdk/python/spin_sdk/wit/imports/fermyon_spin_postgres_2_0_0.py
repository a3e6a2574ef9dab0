"""spin_sdk.wit.imports.fermyon_spin_postgres_2_0_0: the Connection of spin_sdk.wit.imports.postgres
(fermyon:spin/postgres@2.0.0; values and errors in rdbms_types)."""

from spin_sdk.wit.imports.postgres import Connection  # noqa: F401

__all__ = ["Connection"]
