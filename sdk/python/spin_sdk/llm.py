"""spin_sdk.llm: Spin's large language model API.

    from spin_sdk import llm

    result = llm.infer("llama2-chat", "tell me a joke")
    result.text, result.usage.prompt_token_count, result.usage.generated_token_count
    result = llm.infer_with_options("llama2-chat", "hello",
                                    llm.InferencingParams(max_tokens=20, temperature=0.5))
    emb = llm.generate_embeddings("all-minilm-l6-v2", ["one text", "another"])
    emb.embeddings[0], emb.usage.prompt_token_count

Synchronous in spin-sdk 3.x and 4.0 alike (4.0's handlers call it without
await). A component may use only the models listed in its `ai_models` in
spin.toml. The models run behind the HTTP endpoint that the runtime config
file's [llm_compute] names (type = "remote_http", url, auth_token, and
api_type = "open_ai" for an OpenAI-compatible endpoint); pyedge runs no
model itself. Errors: `spin_sdk.wit.types.Err` whose `.value` is
Error_InvalidInput(str) (a model not in ai_models, as in Spin; a bad
parameter) or Error_RuntimeError(str) (no [llm_compute], the endpoint
failing, slow or answering nonsense); Error_ModelNotSupported is part of
the interface but never raised.
"""

from dataclasses import dataclass
from typing import List, Optional

from spin_sdk.wit.imports import llm as _wit
from spin_sdk.wit.imports.llm import (
    EmbeddingsResult,
    EmbeddingsUsage,
    Error,
    Error_InvalidInput,
    Error_ModelNotSupported,
    Error_RuntimeError,
    InferencingResult,
    InferencingUsage,
)

__all__ = ["InferencingParams", "infer", "infer_with_options", "generate_embeddings",
           "InferencingResult", "InferencingUsage", "EmbeddingsResult", "EmbeddingsUsage",
           "Error", "Error_ModelNotSupported", "Error_RuntimeError", "Error_InvalidInput"]


@dataclass
class InferencingParams:
    """Spin's defaults; give only what differs."""

    max_tokens: int = 100
    repeat_penalty: float = 1.1
    repeat_penalty_last_n_token_count: int = 64
    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.9


def generate_embeddings(model: str, text: List[str]) -> EmbeddingsResult:
    """One embedding vector for each string of `text`."""
    return _wit.generate_embeddings(model, text)


def infer_with_options(model: str, prompt: str,
                       options: Optional[InferencingParams]) -> InferencingResult:
    """Inference with the given parameters (None: the defaults)."""
    return _wit.infer(model, prompt, options or InferencingParams())


def infer(model: str, prompt: str) -> InferencingResult:
    """Inference with the default parameters."""
    return _wit.infer(model, prompt, None)
