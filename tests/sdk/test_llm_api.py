"""spin_sdk.llm inside the sandbox, without a host: the module paths apps
import (spin-sdk 3.x's spin_sdk.wit.imports.llm, 4.0's
fermyon_spin_llm_2_0_0), the records and their defaults, how arguments are
packed for the host, and how the endpoint's answers are read, with the host
call replaced by canned replies (the real path is tests/platform/test_llm.py).
"""
import dataclasses
import json
import struct
import unittest

import pyedge_hostcall as hc
from spin_sdk import llm
from spin_sdk.wit.imports import fermyon_spin_llm, fermyon_spin_llm_2_0_0
from spin_sdk.wit.imports import llm as wit_llm
from spin_sdk.wit.types import Err


class Host:
    """Stands in for pyedge_hostcall.call: records the call, answers `reply`
    (a (api, status, body) triple, or an exception to raise)."""

    def __init__(self, reply):
        self.reply, self.calls = reply, []

    def __call__(self, service, *blobs):
        self.calls.append((service, blobs))
        if isinstance(self.reply, Exception):
            raise self.reply
        api, status, body = self.reply
        return [api.encode(), hc.u64(status), body if isinstance(body, bytes) else
                json.dumps(body).encode()]


class WithHost(unittest.TestCase):
    def host(self, reply):
        h = Host(reply)
        saved = hc.call
        hc.call = h
        self.addCleanup(setattr, hc, "call", saved)
        return h

    def err(self, fn, kind, needle=""):
        with self.assertRaises(Err) as cm:
            fn()
        self.assertIsInstance(cm.exception.value, kind)
        self.assertIn(needle, getattr(cm.exception.value, "value", ""))
        return cm.exception.value


class Names(unittest.TestCase):
    def test_module_paths_share_classes(self):
        for m in (fermyon_spin_llm, fermyon_spin_llm_2_0_0, llm):
            for name in ("Error_ModelNotSupported", "Error_RuntimeError", "Error_InvalidInput",
                         "InferencingResult", "InferencingUsage", "EmbeddingsResult",
                         "EmbeddingsUsage"):
                self.assertIs(getattr(m, name), getattr(wit_llm, name), f"{m.__name__}.{name}")
        self.assertIs(fermyon_spin_llm_2_0_0.infer, wit_llm.infer)

    def test_params_fields_and_defaults(self):
        want = [("max_tokens", 100), ("repeat_penalty", 1.1),
                ("repeat_penalty_last_n_token_count", 64), ("temperature", 0.8), ("top_k", 40),
                ("top_p", 0.9)]
        got = [(f.name, f.default) for f in dataclasses.fields(llm.InferencingParams)]
        self.assertEqual(got, want)
        self.assertEqual([f.name for f in dataclasses.fields(wit_llm.InferencingParams)],
                         [n for n, _ in want])
        self.assertEqual(wit_llm.Error_RuntimeError("x").value, "x")
        self.assertEqual(dataclasses.fields(wit_llm.Error_ModelNotSupported), ())


class Packing(WithHost):
    def test_defaults_and_options(self):
        h = self.host(("default", 200, {"text": "t", "usage": {"promptTokenCount": 1,
                                                               "generatedTokenCount": 2}}))
        llm.infer("m", "p")
        llm.infer_with_options("m", "p", llm.InferencingParams(top_k=3, temperature=0.5))
        llm.infer_with_options("m", "p", None)
        llm.infer_with_options("m", "p", llm.InferencingParams)  # 3.x passed the class
        unpacked = []
        for service, blobs in h.calls:
            self.assertEqual(service, "llm.infer")
            self.assertEqual(blobs[:2], (b"m", b"p"))
            unpacked.append([hc.from_u64(b) if i % 2 == 0 else struct.unpack("<d", b)[0]
                             for i, b in enumerate(blobs[2:])])
        defaults = [100, 1.1, 64, 0.8, 40, 0.9]
        self.assertEqual(unpacked, [defaults, [100, 1.1, 64, 0.5, 3, 0.9], defaults, defaults])

    def test_bad_arguments_never_reach_the_host(self):
        h = self.host(("default", 200, {}))
        P = llm.InferencingParams
        self.err(lambda: llm.infer(5, "p"), llm.Error_InvalidInput, "model name must be a str")
        self.err(lambda: llm.infer("m", b"p"), llm.Error_InvalidInput, "prompt must be a str")
        self.err(lambda: llm.infer("m", "\ud800"), llm.Error_InvalidInput, "UTF-8")
        self.err(lambda: llm.infer_with_options("m", "p", P(max_tokens=-1)),
                 llm.Error_InvalidInput, "max_tokens")
        self.err(lambda: llm.infer_with_options("m", "p", P(top_k=1 << 32)),
                 llm.Error_InvalidInput, "top_k")
        self.err(lambda: llm.infer_with_options("m", "p", P(top_k=True)), llm.Error_InvalidInput)
        self.err(lambda: llm.infer_with_options("m", "p", P(temperature=float("nan"))),
                 llm.Error_InvalidInput, "temperature")
        self.err(lambda: llm.infer_with_options("m", "p", P(top_p="0.5")), llm.Error_InvalidInput)
        self.err(lambda: llm.generate_embeddings("m", "one string"), llm.Error_InvalidInput)
        self.err(lambda: llm.generate_embeddings("m", [1]), llm.Error_InvalidInput, "text[0]")
        self.err(lambda: llm.generate_embeddings("m", 7), llm.Error_InvalidInput)
        self.assertEqual(h.calls, [])

    def test_host_statuses(self):
        cases = [(hc.Denied("llm.infer", hc.DENIED, "not in ai_models"), llm.Error_InvalidInput),
                 (hc.Invalid("llm.infer", hc.INVALID, "bad"), llm.Error_InvalidInput),
                 (hc.NotFound("llm.infer", hc.NOT_FOUND, "no LLM"), llm.Error_RuntimeError),
                 (hc.Timeout("llm.infer", hc.TIMEOUT, "slow"), llm.Error_RuntimeError),
                 (hc.Limit("llm.infer", hc.LIMIT, "big"), llm.Error_RuntimeError),
                 (hc.Backend("llm.infer", hc.BACKEND, "down"), llm.Error_RuntimeError)]
        for exc, kind in cases:
            self.host(exc)
            v = self.err(lambda: llm.infer("m", "p"), kind)
            self.assertEqual(v.value, exc.message)


class Answers(WithHost):
    def test_default_protocol(self):
        self.host(("default", 200, {"text": "hi", "usage": {"promptTokenCount": 3,
                                                            "generatedTokenCount": 4}}))
        r = llm.infer("m", "p")
        self.assertEqual((r.text, r.usage.prompt_token_count, r.usage.generated_token_count),
                         ("hi", 3, 4))
        self.host(("default", 200, {"embeddings": [[0.1, 2], []], "usage": {"promptTokenCount": 9}}))
        e = llm.generate_embeddings("m", ["a", "b"])
        self.assertEqual(e.embeddings, [[struct.unpack("<f", struct.pack("<f", 0.1))[0], 2.0], []])
        self.assertEqual(e.usage.prompt_token_count, 9)

    def test_open_ai_protocol(self):
        self.host(("open_ai", 200, {"choices": [{"message": {"content": "yo"}}, {}],
                                    "usage": {"prompt_tokens": 1, "completion_tokens": 2}}))
        r = llm.infer("m", "p")
        self.assertEqual((r.text, r.usage.prompt_token_count, r.usage.generated_token_count),
                         ("yo", 1, 2))
        self.host(("open_ai", 200, {"choices": [], "usage": {"prompt_tokens": 1,
                                                             "completion_tokens": 0}}))
        self.assertEqual(llm.infer("m", "p").text, "")  # no choice: empty text, as Spin
        self.host(("open_ai", 200, {"data": [{"embedding": [1]}, {"embedding": [2, 3]}],
                                    "usage": {"prompt_tokens": 5}}))
        self.assertEqual(llm.generate_embeddings("m", ["a"]).embeddings, [[1.0], [2.0, 3.0]])
        self.host(("open_ai", 429, {"error": {"message": "slow down"}}))
        self.err(lambda: llm.infer("m", "p"), llm.Error_RuntimeError, "slow down")

    def test_unreadable_answers(self):
        deep = b"[" * 100000
        bad = [("default", b"", "not JSON"), ("default", b"\xff\xfe", "not JSON"),
               ("default", deep, "not JSON"), ("default", b"[]", "no 'text'"),
               ("default", b'{"text": "x"}', "no 'usage'"),
               ("default", b'{"text": "x", "usage": {"promptTokenCount": -1, '
                           b'"generatedTokenCount": 1}}', "token count"),
               ("default", b'{"text": "x", "usage": {"promptTokenCount": true, '
                           b'"generatedTokenCount": 1}}', "token count"),
               ("default", b'{"text": "x", "usage": {"promptTokenCount": 4294967296, '
                           b'"generatedTokenCount": 1}}', "token count"),
               ("default", b'{"text": ["x"], "usage": {}}', "'text' is not a string"),
               ("open_ai", b'{"choices": {}, "usage": {}}', "'choices' is not a list"),
               ("open_ai", b'{"choices": [{"message": {"content": null}}], "usage": {}}',
                "'content' is not a string"),
               ("open_ai", b'{"error": "flat"}', "no 'choices'")]
        for api, body, needle in bad:
            self.host((api, 502, body))
            v = self.err(lambda: llm.infer("m", "p"), llm.Error_RuntimeError, needle)
            self.assertIn("(HTTP 502)", v.value)
        bad_embed = [("default", b'{"embeddings": [[1, "2"]], "usage": {"promptTokenCount": 1}}',
                      "embeddings[0] is not a list of numbers"),
                     ("default", b'{"embeddings": [[NaN]], "usage": {"promptTokenCount": 1}}',
                      "NaN is not JSON"),
                     ("default", b'{"embeddings": {}, "usage": {}}', "'embeddings' is not a list"),
                     ("open_ai", b'{"data": [{"embedding": [true]}], "usage": {"prompt_tokens": 1}}',
                      "data[0].embedding"),
                     ("open_ai", b'{"data": [{}], "usage": {}}', "no 'embedding' in data[0]")]
        self.host(("default", 200, b'{"embeddings": [[1e39, -1e39]], "usage": '
                                   b'{"promptTokenCount": 1}}'))
        inf = float("inf")  # past f32's range: infinity, as Spin's `as f32` cast gives
        self.assertEqual(llm.generate_embeddings("m", ["x"]).embeddings, [[inf, -inf]])
        for api, body, needle in bad_embed:
            self.host((api, 200, body))
            self.err(lambda: llm.generate_embeddings("m", ["x"]), llm.Error_RuntimeError, needle)


if __name__ == "__main__":
    unittest.main()
