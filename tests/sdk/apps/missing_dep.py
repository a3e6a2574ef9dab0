"""An app that imports a module that does not exist."""
import pyedge_no_such_dependency  # noqa: F401
