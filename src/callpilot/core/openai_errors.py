"""The openai SDK's exceptions as callpilot's AnalyzerError, in one place for every LLM adapter."""

from __future__ import annotations

from callpilot.core.errors import AnalyzerError, ErrorCategory

__all__ = ["translate_openai_error"]


def translate_openai_error(exc: Exception, *, what: str = "LLM server") -> AnalyzerError:
    """How the failure should be treated: a refused key is permanent, a rate limit or timeout is not."""
    import openai

    if isinstance(exc, openai.AuthenticationError):
        return AnalyzerError(f"{what} refused the API key: {exc.message}", category=ErrorCategory.AUTH,
                             permanent=True)
    if isinstance(exc, openai.RateLimitError):
        return AnalyzerError(f"{what} rate-limited the request", category=ErrorCategory.RATE_LIMIT)
    if isinstance(exc, openai.BadRequestError):
        return AnalyzerError(f"{what} rejected the request: {exc.message}", category=ErrorCategory.BAD_INPUT,
                             permanent=True)
    if isinstance(exc, openai.APIStatusError):
        return AnalyzerError(f"{what} answered {exc.status_code}", category=ErrorCategory.SERVER)
    if isinstance(exc, openai.APITimeoutError | openai.APIConnectionError):
        return AnalyzerError(f"{what} unreachable or too slow: {type(exc).__name__}",
                             category=ErrorCategory.CONNECTIVITY)
    return AnalyzerError(f"{what} failed: {type(exc).__name__}", category=ErrorCategory.SERVER)
