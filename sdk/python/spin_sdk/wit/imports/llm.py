"""spin_sdk.wit.imports.llm: Spin's LLM interface (fermyon:spin/llm@2.0.0)
over pyedge's host calls ("llm.infer", "llm.embed"; docs/hostcall.md).

Synchronous in both spin-sdk generations, as in spin-sdk itself.

The host checks the model against the component's `ai_models`, writes the
request for the endpoint configured by the runtime config's [llm_compute]
and hands back the endpoint's answer as bytes; this module reads that
answer with Python's json, here in the sandbox, so no JSON parser of
untrusted input runs on the host. The two answer shapes are those of
Spin's remote_http engine: api_type "default" (Spin's cloud-gpu protocol)
and "open_ai" (an OpenAI-compatible endpoint).

Errors are raised as `spin_sdk.wit.types.Err` with `.value` one of
    Error_InvalidInput(str)  the model is not in the component's ai_models
                             (Spin's answer too), a parameter out of range,
                             text that cannot be sent
    Error_RuntimeError(str)  no [llm_compute], the endpoint down, slow,
                             answering an error or something unreadable
    Error_ModelNotSupported  part of the interface; pyedge's remote engine,
                             like Spin's, never raises it
"""

import json
import math
import struct
from array import array
from dataclasses import dataclass
from typing import List, Optional, Union

import pyedge_hostcall as _hc
from spin_sdk.wit.types import Err

__all__ = ["InferencingParams", "Error", "Error_ModelNotSupported", "Error_RuntimeError",
           "Error_InvalidInput", "InferencingUsage", "InferencingResult", "EmbeddingsUsage",
           "EmbeddingsResult", "infer", "generate_embeddings"]


@dataclass
class InferencingParams:
    max_tokens: int
    repeat_penalty: float
    repeat_penalty_last_n_token_count: int
    temperature: float
    top_k: int
    top_p: float


@dataclass
class Error_ModelNotSupported:
    pass


@dataclass
class Error_RuntimeError:
    value: str


@dataclass
class Error_InvalidInput:
    value: str


Error = Union[Error_ModelNotSupported, Error_RuntimeError, Error_InvalidInput]


@dataclass
class InferencingUsage:
    prompt_token_count: int
    generated_token_count: int


@dataclass
class InferencingResult:
    text: str
    usage: InferencingUsage


@dataclass
class EmbeddingsUsage:
    prompt_token_count: int


@dataclass
class EmbeddingsResult:
    embeddings: List[List[float]]
    usage: EmbeddingsUsage


# What the host uses when the caller gives no parameters (Spin's defaults).
_DEFAULTS = (("max_tokens", 100, int), ("repeat_penalty", 1.1, float),
             ("repeat_penalty_last_n_token_count", 64, int), ("temperature", 0.8, float),
             ("top_k", 40, int), ("top_p", 0.9, float))
_F64 = struct.Struct("<d").pack
_U32_MAX = 0xFFFFFFFF


def _invalid(msg):
    return Err(Error_InvalidInput(msg))


def _text(value, what):
    if not isinstance(value, str):
        raise _invalid(f"the {what} must be a str, not {type(value).__name__}")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise _invalid(f"the {what} cannot be sent as UTF-8: {e.reason}") from None


def _param_blobs(params):
    """The six parameters as blobs; `params` is any object with the six
    attributes (spin-sdk 3.x passes the InferencingParams class itself)."""
    blobs = []
    for name, default, kind in _DEFAULTS:
        v = default if params is None else getattr(params, name, default)
        if kind is int:
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _U32_MAX:
                raise _invalid(f"{name} must be an integer from 0 to {_U32_MAX}, got {v!r}")
            blobs.append(_hc.u64(v))
        else:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise _invalid(f"{name} must be a finite number, got {v!r}")
            blobs.append(_F64(float(v)))
    return blobs


def _call(op, *blobs):
    """(api_type, HTTP status, answer bytes), or the Err for the host's refusal."""
    try:
        api, status, body = _hc.call("llm." + op, *blobs)
    except (_hc.Denied, _hc.Invalid) as e:
        raise _invalid(e.message) from None
    except _hc.HostCallError as e:
        raise Err(Error_RuntimeError(e.message)) from None
    return api.decode(), _hc.from_u64(status), body


class _Shape(Exception):
    """The answer is not the expected JSON; the message says where."""


def _get(obj, key, where):
    if not isinstance(obj, dict) or key not in obj:
        raise _Shape(f"no '{key}' in {where}")
    return obj[key]


def _count(obj, key, where):
    v = _get(obj, key, where)
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= _U32_MAX:
        raise _Shape(f"'{key}' in {where} is not a token count")
    return v


def _str(v, what):
    if not isinstance(v, str):
        raise _Shape(f"{what} is not a string")
    return v


def _vector(v, what):
    if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, (int, float))
                                      for x in v):
        raise _Shape(f"{what} is not a list of numbers")
    # f32, as the interface's list<f32>; beyond its range a number becomes
    # +-inf, as Spin's `as f32` makes it
    return array("f", v).tolist()


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; JSON has neither


def _answer(api, op, status, body, read):
    """read(doc) for the endpoint's JSON answer, or Error_RuntimeError."""
    path = {("default", "infer"): "/infer", ("default", "embed"): "/embed",
            ("open_ai", "infer"): "/v1/chat/completions",
            ("open_ai", "embed"): "/v1/embeddings"}[(api, op)]
    try:
        doc = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        why = f"not JSON ({e})"
    else:
        try:
            return read(doc)
        except _Shape as e:
            why = str(e)
        # an OpenAI-style error answer: {"error": {"message": "..."}}
        err = doc.get("error") if isinstance(doc, dict) else None
        if api == "open_ai" and isinstance(err, dict) and isinstance(err.get("message"), str):
            raise Err(Error_RuntimeError(err["message"])) from None
    raise Err(Error_RuntimeError(
        f"the LLM endpoint's answer to POST {path} (HTTP {status}) is not what the "
        f"{api} protocol expects: {why}")) from None


def _read_infer(api):
    def read(doc):
        if api == "open_ai":
            choices = _get(doc, "choices", "the answer")
            if not isinstance(choices, list):
                raise _Shape("'choices' is not a list")
            usage = _get(doc, "usage", "the answer")
            text = ""
            if choices:
                msg = _get(choices[0], "message", "the first choice")
                text = _str(_get(msg, "content", "the first choice's message"), "'content'")
            return InferencingResult(text, InferencingUsage(
                _count(usage, "prompt_tokens", "'usage'"),
                _count(usage, "completion_tokens", "'usage'")))
        text = _str(_get(doc, "text", "the answer"), "'text'")
        usage = _get(doc, "usage", "the answer")
        return InferencingResult(text, InferencingUsage(
            _count(usage, "promptTokenCount", "'usage'"),
            _count(usage, "generatedTokenCount", "'usage'")))
    return read


def _read_embed(api):
    def read(doc):
        if api == "open_ai":
            data = _get(doc, "data", "the answer")
            if not isinstance(data, list):
                raise _Shape("'data' is not a list")
            vectors = [_vector(_get(d, "embedding", f"data[{i}]"), f"data[{i}].embedding")
                       for i, d in enumerate(data)]
            count = _count(_get(doc, "usage", "the answer"), "prompt_tokens", "'usage'")
        else:
            embeddings = _get(doc, "embeddings", "the answer")
            if not isinstance(embeddings, list):
                raise _Shape("'embeddings' is not a list")
            vectors = [_vector(v, f"embeddings[{i}]") for i, v in enumerate(embeddings)]
            count = _count(_get(doc, "usage", "the answer"), "promptTokenCount", "'usage'")
        return EmbeddingsResult(vectors, EmbeddingsUsage(count))
    return read


def infer(model: str, prompt: str, params: Optional[InferencingParams]) -> InferencingResult:
    """Runs `prompt` through `model`; params None means Spin's defaults
    (max_tokens 100, repeat_penalty 1.1, repeat_penalty_last_n_token_count
    64, temperature 0.8, top_k 40, top_p 0.9)."""
    blobs = [_text(model, "model name"), _text(prompt, "prompt"), *_param_blobs(params)]
    api, status, body = _call("infer", *blobs)
    return _answer(api, "infer", status, body, _read_infer(api))


def generate_embeddings(model: str, text: List[str]) -> EmbeddingsResult:
    """One embedding vector per string of `text`, from `model`."""
    if isinstance(text, (str, bytes)):
        raise _invalid("text must be a list of str, not a single " + type(text).__name__)
    try:
        items = list(text)
    except TypeError:
        raise _invalid(f"text must be a list of str, not {type(text).__name__}") from None
    blobs = [_text(model, "model name"), *(_text(t, f"text[{i}]") for i, t in enumerate(items))]
    api, status, body = _call("embed", *blobs)
    return _answer(api, "embed", status, body, _read_embed(api))
