"""spin_sdk.sqlite under spin-sdk 2.0's names (ValueInteger, ErrorIo, ...):
the very classes of today's Value_Integer, Error_Io, ..., from both
spin_sdk.sqlite and spin_sdk.wit.imports.sqlite."""
import unittest

from spin_sdk import sqlite
from spin_sdk.wit.imports import sqlite as wit_sqlite

OLD_NAMES = {
    "ValueInteger": "Value_Integer", "ValueReal": "Value_Real", "ValueText": "Value_Text",
    "ValueBlob": "Value_Blob", "ValueNull": "Value_Null",
    "ErrorNoSuchDatabase": "Error_NoSuchDatabase", "ErrorAccessDenied": "Error_AccessDenied",
    "ErrorInvalidConnection": "Error_InvalidConnection",
    "ErrorDatabaseFull": "Error_DatabaseFull", "ErrorIo": "Error_Io",
}


class OldNames(unittest.TestCase):
    def test_same_classes(self):
        for old, new in OLD_NAMES.items():
            for module in (sqlite, wit_sqlite):
                self.assertIs(getattr(module, old), getattr(module, new), f"{module.__name__}.{old}")

    def test_values_compare_equal_across_names(self):
        self.assertEqual(sqlite.ValueInteger(7), sqlite.Value_Integer(7))
        self.assertIsInstance(wit_sqlite.ValueText("x"), sqlite.Value_Text)

    def test_star_import_is_unchanged(self):
        self.assertNotIn("ValueInteger", sqlite.__all__)


if __name__ == "__main__":
    unittest.main()
