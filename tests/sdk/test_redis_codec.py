"""spin_sdk.redis without a server: how parameters are packed for the host
("redis.execute" in docs/hostcall.md), how the host's result blobs are read
back, the names each generation's module gives the same classes, the repr
that hides a password, and the Python type checks made before any call."""
import unittest

from spin_sdk import redis
from spin_sdk.wit.imports import fermyon_spin_redis_2_0_0 as r2
from spin_sdk.wit.imports import fermyon_spin_redis_types as r1types
from spin_sdk.wit.imports import redis as wit_redis
from spin_sdk.wit.imports import redis_types
from spin_sdk.wit.imports import spin_redis_redis_3_0_0 as r3
from spin_sdk.wit.types import Err


class Codec(unittest.TestCase):
    def test_params(self):
        p = wit_redis._param
        self.assertEqual(p(redis.RedisParameter_Int64(-2)), b"i" + (2**64 - 2).to_bytes(8, "little"))
        self.assertEqual(p(redis.RedisParameter_Int64(2**63 - 1)), b"i\xff\xff\xff\xff\xff\xff\xff\x7f")
        self.assertEqual(p(redis.RedisParameter_Binary(b"\x00x")), b"b\x00x")
        self.assertEqual(p(redis.RedisParameter_Binary(bytearray(b"y"))), b"by")
        with self.assertRaises(OverflowError):
            p(redis.RedisParameter_Int64(2**63))
        with self.assertRaises(TypeError):
            p(redis.RedisParameter_Int64(True))
        with self.assertRaises(TypeError):
            p(redis.RedisParameter_Binary("text"))
        with self.assertRaises(TypeError):
            p(b"raw")

    def test_results(self):
        r = wit_redis._result
        self.assertEqual(r(b"n"), redis.RedisResult_Nil())
        self.assertEqual(r(b"sOK"), redis.RedisResult_Status("OK"))
        self.assertEqual(r(b"s\xff"), redis.RedisResult_Status("\ufffd"))
        self.assertEqual(r(b"i" + (2**64 - 1).to_bytes(8, "little")), redis.RedisResult_Int64(-1))
        self.assertEqual(r(b"b"), redis.RedisResult_Binary(b""))
        for bad in (b"", b"nx", b"i123", b"?x"):
            with self.assertRaises(Err) as cm:
                r(bad)
            self.assertIsInstance(cm.exception.value, redis.Error_Other)

    def test_one_result_of_a_type(self):
        one = wit_redis._one
        self.assertEqual(one([redis.RedisResult_Int64(3)], redis.RedisResult_Int64), 3)
        for bad in ([], [redis.RedisResult_Binary(b"3")],
                    [redis.RedisResult_Int64(1), redis.RedisResult_Int64(2)]):
            with self.assertRaises(Err) as cm:
                one(bad, redis.RedisResult_Int64)
            self.assertIsInstance(cm.exception.value, redis.Error_TypeError)

    def test_repr_hides_the_password(self):
        red = wit_redis._redacted
        self.assertEqual(red("redis://u:s3cret@h:1/2"), "redis://u:***@h:1/2")
        self.assertEqual(red("redis://:s3cret@h"), "redis://:***@h")
        self.assertEqual(red("redis://h:6379"), "redis://h:6379")
        self.assertEqual(red("redis://user@h"), "redis://user@h")


class Names(unittest.TestCase):
    def test_one_set_of_classes(self):
        for name in wit_redis.__all__:
            for module in (redis, r3):
                self.assertIs(getattr(module, name), getattr(wit_redis, name), f"{module.__name__}.{name}")
        for name in ("RedisParameter_Int64", "RedisResult_Binary", "Error_Other"):
            self.assertIs(getattr(r2, name), getattr(wit_redis, name))
        self.assertIs(redis_types.RedisResult_Nil, redis.RedisResult_Nil)
        self.assertIs(r1types.Error, redis_types.Error)
        self.assertEqual(redis_types.Error.ERROR.value, 1)

    def test_the_2_0_0_connection_is_synchronous(self):
        self.assertTrue(issubclass(r2.Connection, wit_redis.Connection))
        self.assertTrue(r2.Connection._sync_only)
        self.assertFalse(wit_redis.Connection._sync_only)


class ArgumentTypes(unittest.TestCase):
    """Checked before any host call: a closed Connection is enough."""

    def setUp(self):
        self.db = wit_redis.Connection(None, "redis://h")

    def test_closed(self):
        with self.assertRaises(Err) as cm:
            self.db.get("k")
        self.assertIn("closed", cm.exception.value.value)

    def test_type_errors(self):
        with self.assertRaises(TypeError):
            redis.open(b"redis://h")
        with self.assertRaises(TypeError):
            wit_redis._texts("key", "abc")
        with self.assertRaises(TypeError):
            wit_redis._bytes("value", "text")
        with self.assertRaises(TypeError):
            self.db._execute("PING", b"x")


if __name__ == "__main__":
    unittest.main()
