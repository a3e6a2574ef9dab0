"""spin_sdk.wit.imports.fermyon_spin_mysql: the Connection of spin_sdk.wit.imports.mysql
(fermyon:spin/mysql@2.0.0; values and errors in rdbms_types)."""

from spin_sdk.wit.imports.mysql import Connection  # noqa: F401

__all__ = ["Connection"]
