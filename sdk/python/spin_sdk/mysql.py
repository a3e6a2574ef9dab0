"""spin_sdk.mysql: outbound MySQL / MariaDB (synchronous in spin-sdk 3.x and
4.0 alike, as in spin-sdk itself).

    from spin_sdk import mysql
    from spin_sdk.wit.imports.rdbms_types import ParameterValue_Int32

    with mysql.open("mysql://app:secret@127.0.0.1:3306/app") as db:
        rs = db.query("SELECT id, name FROM users WHERE id > ?", [ParameterValue_Int32(3)])
        rs.columns, rs.rows                 # [Column(name, DbDataType)], [[DbValue_*...]]
        db.execute("DELETE FROM users WHERE id = ?", [ParameterValue_Int32(3)])

The component's allowed_outbound_hosts must allow mysql://host:port (3306
when the address gives no port). Implementation: spin_sdk.wit.imports.mysql;
values and errors: spin_sdk.wit.imports.rdbms_types (spin_sdk.wit.types.Err).
"""

from spin_sdk.wit.imports.mysql import Connection

__all__ = ["open", "Connection"]


def open(connection_string: str) -> Connection:
    """Opens a connection to the server the mysql:// address names."""
    return Connection.open(connection_string)
