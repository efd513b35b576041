/**
 * @rendertrust/sdk: the TypeScript client of the RenderTrust control plane. This entry point is
 * transport-neutral (give RenderTrustClient a Connect transport); `@rendertrust/sdk/node` and
 * `@rendertrust/sdk/web` export a RenderTrustClient that makes its own (gRPC / gRPC-Web).
 * The generated messages and services are under `@rendertrust/sdk/gen/rendertrust/v1/*_pb`.
 */
export {
  RenderTrustClient, TERMINAL_STATUSES, DEFAULT_TIMEOUT_MS, type RenderTrustClientOptions, type CallOptions,
  type SubmitJobRequest, type SubmittedJob, type WaitOptions, type UploadOptions,
} from "./client.js";
export type { Tokens } from "./credentials.js";
export {
  RenderTrustError, AuthenticationError, PermissionDeniedError, InsufficientCreditsError, NotFoundError,
  ConflictError, NotAnchoredError, ValidationError, RateLimitedError, NoHealthyNodeError, JobNotCancellableError,
  UnavailableError, HTTP_STATUS, toRenderTrustError,
} from "./errors.js";
export { proofVerifiesLocally, sha256Hex, type MerklePath } from "./hashing.js";
export type { User, TokenPair, ApiKey, RegisterResponse, LoginResponse, RefreshResponse, CreateApiKeyResponse }
  from "./gen/rendertrust/v1/auth_service_pb.js";
export type { CreditPackage, GetBalanceResponse, ListHistoryResponse, CreateCheckoutResponse }
  from "./gen/rendertrust/v1/credit_service_pb.js";
export type { LedgerEntry } from "./gen/rendertrust/v1/ledger_entry_pb.js";
export type { Job } from "./gen/rendertrust/v1/job_pb.js";
export type { JobEvent, JobTask, JobOutput, ListJobsResponse, ListJobOutputsResponse, GetJobResultResponse }
  from "./gen/rendertrust/v1/job_service_pb.js";
export type { Upload, ListUploadsResponse } from "./gen/rendertrust/v1/upload_service_pb.js";
export type { GetProofResponse, VerifyEntryResponse, Anchor, ListAnchorsResponse }
  from "./gen/rendertrust/v1/ledger_service_pb.js";
