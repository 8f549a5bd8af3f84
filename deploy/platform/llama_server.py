"""llama-cpp-python's OpenAI-compatible server (``python -m llama_cpp.server``, same arguments),
each request evaluated from an empty context.

llama-cpp-python reuses the key-value cache of the longest prefix a request shares with the one
before (``Llama.generate``), so an answer's log-probabilities, and at a near tie its tokens,
depend on which request the server answered last: the same replay's mean log-probability was
-0.962 in one backfill and -0.980 in another (issue 25's snapshot comparison). A replay must not
depend on the order requests arrive in, so the context is reset before each one (the prompts here
are a few hundred tokens: re-reading them costs little).
"""

from __future__ import annotations

import runpy

import llama_cpp

_generate = llama_cpp.Llama.generate


def _from_empty_context(self, tokens, *args, **kwargs):
    self.reset()  # no cached prefix: the answer is the prompt's alone
    return _generate(self, tokens, *args, **kwargs)


if __name__ == "__main__":
    llama_cpp.Llama.generate = _from_empty_context
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
