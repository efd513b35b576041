"""Typed errors of the RenderTrust SDK, keyed by the server's ``google.rpc.ErrorInfo.reason``.

Every failed call raises a :class:`RenderTrustError` subclass; ``reason`` is the server's reason
(e.g. ``INSUFFICIENT_CREDITS``), ``http_status`` the status REST would answer (402), ``code`` the
gRPC status code name and ``metadata`` the ErrorInfo metadata.
"""

from decimal import Decimal, InvalidOperation

import grpc

from rendertrust._vendor.google.rpc import error_details_pb2, status_pb2

# The REST status of each reason, as in docs/API.md (server: platform/errors/Reason.java).
HTTP_STATUS = {
    "INVALID_ARGUMENT": 400, "VALIDATION_FAILED": 422, "MALFORMED_REQUEST": 400,
    "UNAUTHENTICATED": 401, "INVALID_CREDENTIALS": 401, "TOKEN_INVALID": 401, "TOKEN_REVOKED": 401,
    "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "RESULT_NOT_AVAILABLE": 404,
    "EMAIL_TAKEN": 409, "IDEMPOTENCY_CONFLICT": 409, "NOT_ANCHORED": 409,
    "NO_HEALTHY_NODE": 400, "JOB_NOT_CANCELLABLE": 400, "INSUFFICIENT_CREDITS": 402,
    "UNKNOWN_PACKAGE": 422, "RATE_LIMITED": 429, "PAYMENTS_NOT_CONFIGURED": 503,
    "DEPENDENCY_UNAVAILABLE": 503, "NOT_IMPLEMENTED": 501, "INTERNAL": 500,
    "PAYLOAD_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415, "ROUTE_NOT_FOUND": 404,
    "UPLOAD_INCOMPLETE": 409, "UPLOAD_MISMATCH": 422, "QUOTA_EXCEEDED": 422, "UPLOAD_IN_USE": 409,
}


class RenderTrustError(Exception):
    """A call the server (or the network) refused."""

    def __init__(self, reason, code, message, metadata=None, http_status=None):
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.code = code
        self.message = message
        self.metadata = dict(metadata or {})
        self.http_status = http_status if http_status is not None else HTTP_STATUS.get(reason)


class AuthenticationError(RenderTrustError):
    """401: bad credentials, or a missing, invalid or revoked token or API key."""


class PermissionDeniedError(RenderTrustError):
    """403: authenticated, but not allowed (e.g. creating an API key with an API key)."""


class InsufficientCreditsError(RenderTrustError):
    """402: the available credits (balance minus holds) do not cover the job's price."""

    @property
    def available(self):
        return _decimal(self.metadata.get("available"))

    @property
    def requested(self):
        return _decimal(self.metadata.get("requested"))


class NotFoundError(RenderTrustError):
    """404: unknown id, or another user's (a foreign id answers like a missing one)."""


class ConflictError(RenderTrustError):
    """409: EMAIL_TAKEN, IDEMPOTENCY_CONFLICT (same key, different request), UPLOAD_INCOMPLETE, UPLOAD_IN_USE, ..."""


class NotAnchoredError(ConflictError):
    """409 NOT_ANCHORED: the ledger entry's batch is not on chain yet; try again later."""


class ValidationError(RenderTrustError):
    """422 VALIDATION_FAILED / UNKNOWN_PACKAGE / QUOTA_EXCEEDED / UPLOAD_MISMATCH, or 400 INVALID_ARGUMENT:
    the request was refused as is."""


class RateLimitedError(RenderTrustError):
    """429: too many requests; ``retry_after`` is the number of seconds to wait, or None."""

    @property
    def retry_after(self):
        value = self.metadata.get("retry_after_seconds")
        return int(value) if value and value.isdigit() else None


class NoHealthyNodeError(RenderTrustError):
    """400 NO_HEALTHY_NODE: no healthy node offers this job type right now."""


class JobNotCancellableError(RenderTrustError):
    """400 JOB_NOT_CANCELLABLE: only QUEUED or DISPATCHED jobs can be cancelled."""


class JobNotRetryableError(RenderTrustError):
    """400 JOB_NOT_RETRYABLE: only a FAILED job can be retried."""


class PayloadTooLargeError(ValidationError):
    """413 PAYLOAD_TOO_LARGE: an upload over the server's RT_UPLOAD_MAX_BYTES (refused before any byte moves)."""


class UnavailableError(RenderTrustError):
    """503, a deadline that passed, or a server that cannot be reached."""


class OutputMismatchError(RenderTrustError):
    """A downloaded output's size or SHA-256 differs from what the server listed; nothing was kept.
    ``reason`` is OUTPUT_MISMATCH; ``metadata`` has the expected and actual values."""

    def __init__(self, message, metadata=None):
        super().__init__("OUTPUT_MISMATCH", "DATA_LOSS", message, metadata)


_BY_REASON = {
    "INSUFFICIENT_CREDITS": InsufficientCreditsError,
    "RATE_LIMITED": RateLimitedError,
    "NO_HEALTHY_NODE": NoHealthyNodeError,
    "NOT_ANCHORED": NotAnchoredError,
    "JOB_NOT_CANCELLABLE": JobNotCancellableError,
    "JOB_NOT_RETRYABLE": JobNotRetryableError,
    "EMAIL_TAKEN": ConflictError,
    "IDEMPOTENCY_CONFLICT": ConflictError,
    "VALIDATION_FAILED": ValidationError,
    "UNKNOWN_PACKAGE": ValidationError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "QUOTA_EXCEEDED": ValidationError,
    "UPLOAD_MISMATCH": ValidationError,
    "UPLOAD_INCOMPLETE": ConflictError,
    "UPLOAD_IN_USE": ConflictError,
}

_BY_CODE = {
    grpc.StatusCode.NOT_FOUND: NotFoundError,
    grpc.StatusCode.UNAUTHENTICATED: AuthenticationError,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDeniedError,
    grpc.StatusCode.INVALID_ARGUMENT: ValidationError,
    grpc.StatusCode.OUT_OF_RANGE: ValidationError,
    grpc.StatusCode.ALREADY_EXISTS: ConflictError,
    grpc.StatusCode.ABORTED: ConflictError,
    grpc.StatusCode.UNAVAILABLE: UnavailableError,
    grpc.StatusCode.DEADLINE_EXCEEDED: UnavailableError,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RateLimitedError,
}


def from_rpc_error(error):
    """The typed error for a failed gRPC call (a ``grpc.RpcError``)."""
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    info = _error_info(error)
    reason = info.reason if info is not None else code.name
    metadata = dict(info.metadata) if info is not None else {}
    message = (error.details() if hasattr(error, "details") else None) or code.name
    kind = _BY_REASON.get(reason) or _BY_CODE.get(code, RenderTrustError)
    return kind(reason, code.name, message, metadata)


def _error_info(error):
    trailers = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    return info
    return None


def _decimal(value):
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None
