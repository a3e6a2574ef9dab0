import spin_sdk.wit.imports.no_such_interface  # noqa: F401
