"""NetSuite's retries follow the one policy of both clients (``nstui.retry``);
the names stay importable from here."""

from nstui.retry import TRANSIENT_ERRORS, Backoff, RetryLater, retry_after, retryable_status, retrying

__all__ = ["TRANSIENT_ERRORS", "Backoff", "RetryLater", "retry_after", "retryable_status", "retrying"]
