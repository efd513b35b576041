/** The options and requests of RenderTrustClient's calls. */
import type { JsonObject } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import type { Tokens } from "./credentials.js";

export interface RenderTrustClientOptions {
  /** How calls travel: createGrpcTransport (Node) or createGrpcWebTransport (browsers). */
  transport: Transport;
  /** Authenticate with an API key (`x-api-key`) instead of a session. */
  apiKey?: string | undefined;
  /** The deadline of every call in ms (default 30 000). */
  timeoutMs?: number | undefined;
  /** The fetch used for presigned upload and download URLs (default: the global fetch). */
  fetch?: typeof fetch | undefined;
  /** Told whenever the session's tokens change (login, refresh) or end (logout): undefined. */
  onTokens?: ((tokens: Tokens | undefined) => void) | undefined;
}

/** Options every call takes: its own deadline and an AbortSignal. */
export interface CallOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface SubmitJobRequest {
  /** e.g. "echo", "render", "cpu_benchmark", "inference". */
  jobType: string;
  /** The job's JSON payload (not together with payloadRef). */
  payload?: JsonObject | undefined;
  /** An opaque reference such as "s3://bucket/scene.blend". */
  payloadRef?: string | undefined;
  /** The id of a READY upload the job reads (renders). */
  inputId?: string | undefined;
  /** "low", "normal" (default) or "high". */
  priority?: string | undefined;
  gpuRequired?: boolean | undefined;
  /** Sent with the request; a fresh UUID unless given. The same key always answers the same job. */
  idempotencyKey?: string | undefined;
}

export interface SubmittedJob {
  jobId: string;
  /** The node it went to; undefined while QUEUED. */
  nodeId?: string | undefined;
  status: string;
  /** The key sent, to submit the very same job again safely. */
  idempotencyKey: string;
}

export interface WaitOptions extends CallOptions {
  /** Give up (UnavailableError DEADLINE_EXCEEDED) after this long; default 120 000 ms. */
  waitMs?: number | undefined;
}

export interface UploadOptions extends CallOptions {
  filename: string;
  /** Default application/octet-stream. */
  contentType?: string | undefined;
}
