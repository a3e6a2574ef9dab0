"""componentize_py_types: where spin-sdk 4.0 apps import the result types
(`from componentize_py_types import Err, Ok`). They are the very classes of
spin_sdk.wit.types (spin-sdk 3.x's spelling), so `except Err` catches the
errors of every pyedge SDK module whichever name the app imported."""

from spin_sdk.wit.types import Err, Ok, Result, Some

__all__ = ["Ok", "Err", "Some", "Result"]
