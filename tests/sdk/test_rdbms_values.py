"""spin_sdk.postgres / spin_sdk.mysql without a server: every name the
spin-sdk interfaces give (fermyon:spin/rdbms-types@2.0.0, postgres@2.0.0,
mysql@2.0.0, spin:postgres@4.2.0), parameters as the host receives them,
and host replies (built here byte by byte) turned into DbValue_* for each
PostgreSQL and MySQL type, edge cases included. Against real servers:
tests/platform/test_postgres.py and test_mysql.py."""
import struct
import unittest

from spin_sdk import mysql, postgres
from spin_sdk.wit.imports import fermyon_spin_mysql_2_0_0, fermyon_spin_postgres_2_0_0
from spin_sdk.wit.imports import fermyon_spin_rdbms_types_2_0_0 as rt
from spin_sdk.wit.imports import mysql as my
from spin_sdk.wit.imports import postgres as pg
from spin_sdk.wit.imports import spin_postgres_postgres_4_2_0 as pg42

SHARED = ["Boolean", "Int8", "Int16", "Int32", "Int64", "Floating32", "Floating64", "Str",
          "Binary"]
V2_ONLY = ["Uint8", "Uint16", "Uint32", "Uint64"]
V4_MORE = ["Date", "Time", "Datetime", "Timestamp", "Uuid", "Jsonb", "Decimal", "RangeInt32",
           "RangeInt64", "RangeDecimal", "ArrayInt32", "ArrayInt64", "ArrayDecimal", "ArrayStr",
           "Interval"]
ERRORS = ["ConnectionFailed", "BadParameter", "QueryFailed", "ValueConversionFailed", "Other"]


def blob(b):
    return struct.pack("<I", len(b)) + b


def reply(columns, rows):
    """A query reply after its status byte (docs/hostcall.md)."""
    out = blob(struct.pack("<Q", len(columns)))
    for name, t in columns:
        out += blob(name.encode()) + blob(struct.pack("<Q", t))
    for row in rows:
        for v in row:
            if v is None:
                out += blob(b"n")
            elif isinstance(v, bytes):
                out += blob(b"b" + v)
            else:
                out += blob(b"t" + v.encode())
    return out


def pg_values(oid, texts, rich=True):
    cols, rows = pg._rt.parse_rows(reply([("c", oid)], [[t] for t in texts]))
    dt, fn = pg._converter(oid, rich)
    return dt, [None if r[0] is None else fn(r[0]) for r in rows]


class Names(unittest.TestCase):
    def test_rdbms_types_2_0(self):
        for case in SHARED + V2_ONLY + ["DbNull"]:
            self.assertTrue(hasattr(rt, "ParameterValue_" + case), case)
            self.assertTrue(hasattr(rt, "DbValue_" + case), case)
        self.assertTrue(hasattr(rt, "DbValue_Unsupported"))
        for e in ERRORS:
            self.assertTrue(hasattr(rt, "Error_" + e), e)
        self.assertEqual([m.name for m in rt.DbDataType],
                         ["BOOLEAN", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
                          "UINT32", "UINT64", "FLOATING32", "FLOATING64", "STR", "BINARY", "OTHER"])
        self.assertEqual(rt.DbValue_Unsupported(), rt.DbValue_Unsupported(b""))

    def test_postgres_4_2(self):
        for case in SHARED + V4_MORE + ["DbNull"]:
            self.assertTrue(hasattr(pg42, "ParameterValue_" + case), case)
            self.assertTrue(hasattr(pg42, "DbValue_" + case), case)
            if case != "DbNull":
                self.assertTrue(hasattr(pg42, "DbDataType_" + case), case)
        for name in ["DbDataType_Other", "DbValue_Unsupported", "Interval", "RangeBoundKind",
                     "DbError", "QueryError_Text", "QueryError_DbError", "Column", "RowSet",
                     "Connection"] + ["Error_" + e for e in ERRORS]:
            self.assertTrue(hasattr(pg42, name), name)
        self.assertEqual(pg42.DbValue_Unsupported(b"x").value, b"x")

    def test_entry_points(self):
        self.assertTrue(callable(postgres.open) and callable(mysql.open))
        for n in ["Connection", "RowSet", "DbValue", "ParameterValue", "Column", "Error"]:
            self.assertTrue(hasattr(postgres, n), n)
        self.assertIs(fermyon_spin_postgres_2_0_0.Connection, pg.Connection)
        self.assertIs(fermyon_spin_mysql_2_0_0.Connection, my.Connection)
        self.assertIs(pg.DbValue_Int32, rt.DbValue_Int32)  # one class for both versions


class PostgresParameters(unittest.TestCase):
    def text(self, v):
        b = pg._param(1, v)
        self.assertEqual(b[:1], b"t")
        return struct.unpack("<I", b[1:5])[0], b[5:].decode()

    def test_scalars(self):
        self.assertEqual(self.text(pg.ParameterValue_Int32(-5)), (23, "-5"))
        self.assertEqual(self.text(pg.ParameterValue_Int8(5)), (21, "5"))
        self.assertEqual(self.text(pg.ParameterValue_Boolean(True)), (16, "true"))
        self.assertEqual(self.text(pg.ParameterValue_Floating64(float("-inf"))), (701, "-Infinity"))
        self.assertEqual(pg._param(1, pg.ParameterValue_Binary(b"\0\1")), b"b\0\1")
        self.assertEqual(pg._param(1, pg.ParameterValue_DbNull()), b"n")

    def test_rich(self):
        self.assertEqual(self.text(pg.ParameterValue_Date((0, 1, 2))), (1082, "0001-01-02 BC"))
        self.assertEqual(self.text(pg.ParameterValue_Time((1, 2, 3, 4000))), (1083, "01:02:03.000004"))
        self.assertEqual(self.text(pg.ParameterValue_ArrayStr(['a"b\\', None])),
                         (1009, '{"a\\"b\\\\",NULL}'))
        self.assertEqual(self.text(pg.ParameterValue_RangeInt64((None, None))), (3926, "(,)"))
        self.assertEqual(self.text(pg.ParameterValue_Interval(pg.Interval(-1, 2, 3))),
                         (1186, "3 months 2 days -1 microseconds"))
        self.assertEqual(self.text(pg.ParameterValue_Timestamp(-86400)), (1184, "1969-12-31 00:00:00+00"))

    def test_refused(self):
        for v in [pg.ParameterValue_Int16(1 << 15), pg.ParameterValue_Int32(True),
                  pg.ParameterValue_Uint8(1), pg.ParameterValue_Str("a\0b"),
                  pg.ParameterValue_Decimal("1; DROP TABLE x"), pg.ParameterValue_Date((2024, 1)),
                  pg.ParameterValue_ArrayInt32([1, "2"]), "plain str"]:
            with self.assertRaises(ValueError, msg=repr(v)):
                pg._param(1, v)


class PostgresValues(unittest.TestCase):
    def test_scalars(self):
        self.assertEqual(pg_values(16, ["t", "f", None])[1],
                         [pg.DbValue_Boolean(True), pg.DbValue_Boolean(False), None])
        self.assertEqual(pg_values(20, ["-9223372036854775808"])[1],
                         [pg.DbValue_Int64(-(1 << 63))])
        self.assertEqual(pg_values(17, ["\\x00ff"])[1], [pg.DbValue_Binary(b"\0\xff")])
        v = pg_values(701, ["NaN", "Infinity"])[1]
        self.assertNotEqual(v[0].value, v[0].value)
        self.assertEqual(v[1].value, float("inf"))

    def test_rich(self):
        self.assertEqual(pg_values(1082, ["0044-03-15 BC"])[1], [pg.DbValue_Date((-43, 3, 15))])
        self.assertEqual(pg_values(1114, ["2024-01-02 03:04:05.5"])[1],
                         [pg.DbValue_Datetime((2024, 1, 2, 3, 4, 5, 500000000))])
        self.assertEqual(pg_values(1184, ["2024-01-01 01:00:00-02:30"])[1],
                         [pg.DbValue_Datetime((2024, 1, 1, 3, 30, 0, 0))])
        self.assertEqual(pg_values(1186, ["-1 years -2 mons +3 days -04:05:06.000007"])[1],
                         [pg.DbValue_Interval(pg.Interval(-14706000007, 3, -14))])
        self.assertEqual(pg_values(3904, ["empty"])[1], [pg.DbValue_RangeInt32((None, None))])
        self.assertEqual(pg_values(1009, ['{"a,b",NULL,"NULL",x}'])[1],
                         [pg.DbValue_ArrayStr(["a,b", None, "NULL", "x"])])
        dt, v = pg_values(600, ["(1,2)"])
        self.assertEqual((dt, v), (pg.DbDataType_Other("point"), [pg.DbValue_Unsupported(b"(1,2)")]))

    def test_v2_mapping(self):
        dt, v = pg_values(1082, ["2024-01-01"], rich=False)
        self.assertEqual((dt, v), (rt.DbDataType.OTHER, [rt.DbValue_Unsupported()]))
        self.assertEqual(pg_values(23, ["7"], rich=False)[0], rt.DbDataType.INT32)

    def test_bad_text_raises(self):
        with self.assertRaises(ValueError):
            pg_values(1082, ["infinity"])

    def test_truncated_replies(self):
        r = reply([("a", 23), ("b", 23)], [["1", "2"]])
        for cut in (r[:-1], r + blob(b"t1")):
            with self.assertRaises(ValueError):
                pg._rt.parse_rows(cut)

    def test_error_text(self):
        e = pg._query_failed('ERROR 42P01: relation "x" does not exist\nDETAIL: d', True)
        self.assertEqual((e.value.value.code, e.value.value.detail), ("42P01", "d"))
        self.assertIsInstance(pg._query_failed("connection lost", True).value, pg.QueryError_Text)
        self.assertEqual(pg._query_failed("x", False), rt.Error_QueryFailed("x"))


class MysqlValues(unittest.TestCase):
    def test_types(self):
        U, B = my.UNSIGNED, my.BINARY
        cases = [(1, "-1", rt.DbValue_Int8(-1), rt.DbDataType.INT8),
                 (1 | U, "255", rt.DbValue_Uint8(255), rt.DbDataType.UINT8),
                 (8 | U, "18446744073709551615", rt.DbValue_Uint64((1 << 64) - 1),
                  rt.DbDataType.UINT64),
                 (4, "1.5", rt.DbValue_Floating32(1.5), rt.DbDataType.FLOATING32),
                 (246, "12.50", rt.DbValue_Str("12.50"), rt.DbDataType.STR),
                 (252 | B, b"\0\1", rt.DbValue_Binary(b"\0\1"), rt.DbDataType.BINARY),
                 (255, "x", rt.DbValue_Unsupported(), rt.DbDataType.OTHER)]
        for t, raw, want, dt in cases:
            got_dt, fn = my._converter(t)
            self.assertEqual((got_dt, fn(raw)), (dt, want), t)

    def test_parameters(self):
        self.assertEqual(my._param(1, rt.ParameterValue_Uint64((1 << 64) - 1)),
                         b"t" + struct.pack("<I", 8 | my.UNSIGNED) + b"18446744073709551615")
        self.assertEqual(my._param(1, rt.ParameterValue_Boolean(False)), b"t\x01\0\0\x000")
        for v in [rt.ParameterValue_Uint8(-1), rt.ParameterValue_Floating64(float("nan")),
                  rt.ParameterValue_Str("\0")]:
            with self.assertRaises(ValueError):
                my._param(1, v)


if __name__ == "__main__":
    unittest.main()
