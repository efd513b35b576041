"""RenderTrust Python SDK: ``from rendertrust import RenderTrustClient``."""

from rendertrust.client import TERMINAL_STATUSES, RenderTrustClient
from rendertrust.errors import (AuthenticationError, ConflictError, InsufficientCreditsError, JobNotCancellableError,
                                JobNotRetryableError, NoHealthyNodeError, NotAnchoredError, NotFoundError, OutputMismatchError,
                                PayloadTooLargeError, PermissionDeniedError, RateLimitedError, RenderTrustError,
                                UnavailableError, ValidationError)

__version__ = "0.1.0"

__all__ = [
    "RenderTrustClient", "TERMINAL_STATUSES", "RenderTrustError", "AuthenticationError", "PermissionDeniedError",
    "InsufficientCreditsError", "NotFoundError", "ConflictError", "NotAnchoredError", "ValidationError",
    "RateLimitedError", "NoHealthyNodeError", "JobNotCancellableError", "JobNotRetryableError", "UnavailableError",
    "PayloadTooLargeError", "OutputMismatchError",
]
