/**
 * Typed errors of the RenderTrust SDK, keyed by the server's `google.rpc.ErrorInfo.reason`
 * (read from the error details with `ConnectError.findDetails(ErrorInfoSchema)`).
 *
 * Every failed call rejects with a {@link RenderTrustError} subclass: `reason` is the server's
 * reason (e.g. `INSUFFICIENT_CREDITS`), `httpStatus` the status REST answers for it (402), `code`
 * the gRPC status code name and `metadata` the ErrorInfo metadata.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "./gen/google/rpc/error_details_pb.js";

/** The REST status of each reason, as in docs/API.md (server: platform/errors/Reason.java). */
export const HTTP_STATUS: Readonly<Record<string, number>> = Object.freeze({
  INVALID_ARGUMENT: 400, VALIDATION_FAILED: 422, MALFORMED_REQUEST: 400, UNSUPPORTED_MEDIA_TYPE: 415,
  PAYLOAD_TOO_LARGE: 413, ROUTE_NOT_FOUND: 404, UNAUTHENTICATED: 401, INVALID_CREDENTIALS: 401,
  TOKEN_INVALID: 401, TOKEN_REVOKED: 401, CHALLENGE_FAILED: 401, PERMISSION_DENIED: 403,
  NODE_NOT_VERIFIED: 400, NOT_FOUND: 404, RESULT_NOT_AVAILABLE: 404, EMAIL_TAKEN: 409,
  IDEMPOTENCY_CONFLICT: 409, NOT_ANCHORED: 409, STALE_ASSIGNMENT: 409, NO_HEALTHY_NODE: 400,
  JOB_NOT_CANCELLABLE: 400, INSUFFICIENT_CREDITS: 402, UNKNOWN_PACKAGE: 422, WEBHOOK_SIGNATURE_INVALID: 400,
  RATE_LIMITED: 429, PAYMENTS_NOT_CONFIGURED: 503, DEPENDENCY_UNAVAILABLE: 503, HEARTBEAT_TIMEOUT: 503,
  UPLOAD_INCOMPLETE: 409, UPLOAD_MISMATCH: 422, QUOTA_EXCEEDED: 422, UPLOAD_IN_USE: 409,
  NOT_IMPLEMENTED: 501, INTERNAL: 500,
});

/** The REST status of a gRPC code, for errors without an ErrorInfo (e.g. the network failed). */
const HTTP_STATUS_OF_CODE: Partial<Record<Code, number>> = {
  [Code.InvalidArgument]: 400, [Code.OutOfRange]: 400, [Code.FailedPrecondition]: 400,
  [Code.Unauthenticated]: 401, [Code.PermissionDenied]: 403, [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409, [Code.Aborted]: 409, [Code.ResourceExhausted]: 429,
  [Code.Unimplemented]: 501, [Code.Internal]: 500, [Code.Unknown]: 500, [Code.DataLoss]: 500,
  [Code.Unavailable]: 503, [Code.DeadlineExceeded]: 504, [Code.Canceled]: 499,
};

/** A call the server (or the network) refused. */
export class RenderTrustError extends Error {
  /** The server's ErrorInfo.reason, or the gRPC code name (e.g. `UNAVAILABLE`) when it sent none. */
  readonly reason: string;
  /** The gRPC status code name, e.g. `NOT_FOUND`. */
  readonly code: string;
  /** The HTTP status REST answers for this reason (402 for INSUFFICIENT_CREDITS), or undefined. */
  readonly httpStatus: number | undefined;
  /** The ErrorInfo metadata (e.g. `available`, `requested`, `retry_after_seconds`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** The server's message without the reason. */
  readonly detail: string;

  constructor(reason: string, code: string, detail: string, metadata: Record<string, string> = {},
              options: { httpStatus?: number; cause?: unknown } = {}) {
    super(`${reason}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.reason = reason;
    this.code = code;
    this.detail = detail;
    this.metadata = Object.freeze({ ...metadata });
    this.httpStatus = options.httpStatus ?? HTTP_STATUS[reason];
  }
}

/** 401: bad credentials, or a missing, invalid or revoked token or API key. */
export class AuthenticationError extends RenderTrustError {}

/** 403: authenticated, but not allowed (e.g. creating an API key with an API key). */
export class PermissionDeniedError extends RenderTrustError {}

/** 402: the available credits (balance minus holds) do not cover the job's price. */
export class InsufficientCreditsError extends RenderTrustError {
  /** The credits available when the job was refused, a decimal string such as "0.0000". */
  get available(): string | undefined {
    return this.metadata["available"];
  }

  /** The job's price, a decimal string. */
  get requested(): string | undefined {
    return this.metadata["requested"];
  }
}

/** 404: unknown id, or another user's (a foreign id answers like a missing one). */
export class NotFoundError extends RenderTrustError {}

/** 409: EMAIL_TAKEN, IDEMPOTENCY_CONFLICT (same key, different request), UPLOAD_IN_USE, ... */
export class ConflictError extends RenderTrustError {}

/** 409 NOT_ANCHORED: the ledger entry's batch is not on chain yet; try again later. */
export class NotAnchoredError extends ConflictError {}

/** 422 VALIDATION_FAILED / UNKNOWN_PACKAGE / QUOTA_EXCEEDED, or 400 INVALID_ARGUMENT: refused as is. */
export class ValidationError extends RenderTrustError {}

/** 429: too many requests; `retryAfterSeconds` says how long to wait, when the server said. */
export class RateLimitedError extends RenderTrustError {
  get retryAfterSeconds(): number | undefined {
    const value = this.metadata["retry_after_seconds"];
    return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
  }
}

/** 400 NO_HEALTHY_NODE: no healthy node offers this job type right now. */
export class NoHealthyNodeError extends RenderTrustError {}

/** 400 JOB_NOT_CANCELLABLE: only QUEUED or DISPATCHED jobs can be cancelled. */
export class JobNotCancellableError extends RenderTrustError {}

/** 503, a deadline that passed, or a server that cannot be reached. */
export class UnavailableError extends RenderTrustError {}

type ErrorClass = new (reason: string, code: string, detail: string, metadata?: Record<string, string>,
                       options?: { httpStatus?: number; cause?: unknown }) => RenderTrustError;

const BY_REASON: Record<string, ErrorClass> = {
  INSUFFICIENT_CREDITS: InsufficientCreditsError,
  RATE_LIMITED: RateLimitedError,
  NO_HEALTHY_NODE: NoHealthyNodeError,
  NOT_ANCHORED: NotAnchoredError,
  JOB_NOT_CANCELLABLE: JobNotCancellableError,
};

const BY_HTTP_STATUS: Record<number, ErrorClass> = {
  400: ValidationError, 401: AuthenticationError, 402: InsufficientCreditsError, 403: PermissionDeniedError,
  404: NotFoundError, 409: ConflictError, 413: ValidationError, 422: ValidationError, 429: RateLimitedError,
  503: UnavailableError, 504: UnavailableError,
};

/** The SCREAMING_SNAKE name of a Connect code, as gRPC spells it (`Code.NotFound` → `NOT_FOUND`). */
export function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The typed error for anything a call threw (a ConnectError, or e.g. a network failure). */
export function toRenderTrustError(error: unknown): RenderTrustError {
  if (error instanceof RenderTrustError) {
    return error;
  }
  const connect = ConnectError.from(error);
  const info = connect.findDetails(ErrorInfoSchema)[0];
  const code = codeName(connect.code);
  const reason = info?.reason || code;
  const httpStatus = HTTP_STATUS[reason] ?? HTTP_STATUS_OF_CODE[connect.code];
  const kind = BY_REASON[reason] ?? (httpStatus !== undefined ? BY_HTTP_STATUS[httpStatus] : undefined)
    ?? RenderTrustError;
  return new kind(reason, code, connect.rawMessage || code, { ...(info?.metadata ?? {}) },
    { httpStatus, cause: error });
}
