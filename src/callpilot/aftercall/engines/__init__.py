"""After-call engines: ``local`` (offline, deterministic, the default) and ``llm`` (any OpenAI-compatible
server), built from the ``analyzers.aftercall`` options by :func:`build_engine`."""

from callpilot.aftercall.engines.base import AfterCallEngine, EngineResult
from callpilot.aftercall.engines.factory import ENGINES, AfterCallOptions, build_engine

__all__ = ["ENGINES", "AfterCallEngine", "AfterCallOptions", "EngineResult", "build_engine"]
