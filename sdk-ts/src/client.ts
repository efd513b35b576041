/**
 * RenderTrustClient: the TypeScript client of the RenderTrust control plane over any Connect
 * transport (gRPC on Node: `@rendertrust/sdk/node`; gRPC-Web in browsers: `@rendertrust/sdk/web`).
 */
import { type CallOptions as ConnectCallOptions, type Client, createClient } from "@connectrpc/connect";
import { Credentials, type Tokens } from "./credentials.js";
import { NotAnchoredError, RenderTrustError, UnavailableError, toRenderTrustError } from "./errors.js";
import { proofVerifiesLocally, sha256Hex, type MerklePath } from "./hashing.js";
import { required, sleep, Transfers } from "./transfers.js";
import type { CallOptions, RenderTrustClientOptions, SubmitJobRequest, SubmittedJob, UploadOptions,
  WaitOptions } from "./types.js";
import { AuthService, type ApiKey, type CreateApiKeyResponse, type LoginResponse, type RefreshResponse,
  type RegisterResponse } from "./gen/rendertrust/v1/auth_service_pb.js";
import { CreditService, type CreateCheckoutResponse, type CreditPackage, type GetBalanceResponse,
  type ListHistoryResponse } from "./gen/rendertrust/v1/credit_service_pb.js";
import type { Job } from "./gen/rendertrust/v1/job_pb.js";
import { JobService, type GetJobResultResponse, type JobEvent, type JobOutput, type ListJobOutputsResponse, type ListJobsResponse,
  type JobTask } from "./gen/rendertrust/v1/job_service_pb.js";
import { LedgerService, type ListAnchorsResponse, type GetProofResponse,
  type VerifyEntryResponse } from "./gen/rendertrust/v1/ledger_service_pb.js";
import { UploadService, type ListUploadsResponse, type Upload } from "./gen/rendertrust/v1/upload_service_pb.js";

/** The statuses after which a job never changes again. */
export const TERMINAL_STATUSES: readonly string[] = Object.freeze(["COMPLETED", "FAILED", "CANCELLED"]);
/** Every call's deadline unless the client or the call says otherwise. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** The access token is refreshed this long before it expires. */
const REFRESH_MARGIN_MS = 60_000;

export type { CallOptions, RenderTrustClientOptions, SubmitJobRequest, SubmittedJob, UploadOptions, WaitOptions };

/**
 * A creator's client. Every call has a deadline (`timeoutMs`, default 30 s) and rejects with a
 * typed {@link RenderTrustError} keyed by the server's `ErrorInfo.reason`. After {@link login}
 * or {@link register} the client keeps the tokens in memory, refreshes the access token shortly
 * before it expires and retries a call once after a refresh when the server answers
 * UNAUTHENTICATED. With an API key it sends `x-api-key` instead. Results are the protobuf-es
 * messages of the contracts (camelCase fields; int64 as bigint; an unset optional is undefined).
 */
export class RenderTrustClient {
  readonly timeoutMs: number;
  readonly #credentials = new Credentials();
  readonly #transfers: Transfers;
  readonly #onTokens: ((tokens: Tokens | undefined) => void) | undefined;
  readonly #auth: Client<typeof AuthService>;
  readonly #credits: Client<typeof CreditService>;
  readonly #jobs: Client<typeof JobService>;
  readonly #ledger: Client<typeof LedgerService>;
  readonly #uploads: Client<typeof UploadService>;
  #refreshing: Promise<RefreshResponse> | undefined;

  constructor(options: RenderTrustClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#transfers = new Transfers(options.fetch ?? ((input, init) => globalThis.fetch(input, init)));
    this.#onTokens = options.onTokens;
    this.#auth = createClient(AuthService, options.transport);
    this.#credits = createClient(CreditService, options.transport);
    this.#jobs = createClient(JobService, options.transport);
    this.#ledger = createClient(LedgerService, options.transport);
    this.#uploads = createClient(UploadService, options.transport);
    if (options.apiKey) {
      this.useApiKey(options.apiKey);
    }
  }

  // ---- identity ------------------------------------------------------------------------------

  /** Creates an account and keeps its tokens. A taken e-mail rejects with ConflictError (EMAIL_TAKEN). */
  async register(email: string, password: string, name: string, options?: CallOptions): Promise<RegisterResponse> {
    const response = await this.#call((o) => this.#auth.register({ email, password, name }, o), options, false);
    this.#keep(response.tokens?.accessToken ?? "", response.tokens?.refreshToken);
    return response;
  }

  /** Logs in and keeps the tokens. Bad credentials reject with AuthenticationError (INVALID_CREDENTIALS). */
  async login(email: string, password: string, options?: CallOptions): Promise<LoginResponse> {
    const response = await this.#call((o) => this.#auth.login({ email, password }, o), options, false);
    this.#keep(response.accessToken, response.refreshToken);
    return response;
  }

  /** Uses tokens obtained elsewhere (e.g. kept in memory by an app). */
  useTokens(accessToken: string, refreshToken?: string): void {
    this.#keep(accessToken, refreshToken);
  }

  /** Authenticates every later call with an API key (`x-api-key`) instead of tokens. */
  useApiKey(apiKey: string): void {
    this.#credentials.useApiKey(apiKey);
  }

  /** The session's current tokens, if any. */
  get tokens(): Tokens | undefined {
    return this.#credentials.tokens;
  }

  /** The credentials holder (tests use it to make a token look about to expire). */
  get credentials(): Credentials {
    return this.#credentials;
  }

  /**
   * Exchanges the refresh token for a new pair (the old refresh token stops working). Calls that
   * need a refresh at the same time share one.
   */
  refresh(options?: CallOptions): Promise<RefreshResponse> {
    if (this.#refreshing === undefined) {
      const refreshToken = this.#credentials.refreshToken;
      if (!refreshToken) {
        return Promise.reject(new Error("no session to refresh: log in first"));
      }
      this.#refreshing = this.#call((o) => this.#auth.refresh({ refreshToken }, o), options, false)
        .then((response) => {
          this.#keep(response.accessToken, response.refreshToken);
          return response;
        })
        .finally(() => {
          this.#refreshing = undefined;
        });
    }
    return this.#refreshing;
  }

  /** Ends the session on the server (its tokens stop working) and forgets it locally. */
  async logout(options?: CallOptions): Promise<void> {
    await this.#call((o) => this.#auth.logout({}, o), options);
    this.#credentials.clear();
    this.#onTokens?.(undefined);
  }

  /** Creates an API key; `key` (the secret) is shown only this once. */
  createApiKey(name: string, options?: CallOptions): Promise<CreateApiKeyResponse> {
    return this.#call((o) => this.#auth.createApiKey({ name }, o), options);
  }

  /** The caller's API keys, newest first (prefixes only, never the secrets). */
  async listApiKeys(options?: CallOptions): Promise<ApiKey[]> {
    return (await this.#call((o) => this.#auth.listApiKeys({}, o), options)).apiKeys;
  }

  /** Revokes one of the caller's API keys; another user's key rejects with NotFoundError. */
  async revokeApiKey(keyId: string, options?: CallOptions): Promise<ApiKey> {
    return required((await this.#call((o) => this.#auth.revokeApiKey({ keyId }, o), options)).apiKey, "api_key");
  }

  // ---- credits -------------------------------------------------------------------------------

  /** `{balance: "100.0000", userId}`; amounts are decimal strings. */
  getBalance(options?: CallOptions): Promise<GetBalanceResponse> {
    return this.#call((o) => this.#credits.getBalance({}, o), options);
  }

  /** One page of the caller's ledger entries, newest first (`limit` 1..200, default 50). */
  getCreditHistory(page: { limit?: number; offset?: number } = {}, options?: CallOptions):
      Promise<ListHistoryResponse> {
    return this.#call((o) => this.#credits.listHistory({ limit: page.limit ?? 50, offset: page.offset ?? 0 }, o),
      options);
  }

  /** The purchasable credit packages, cheapest first. */
  async listPackages(options?: CallOptions): Promise<CreditPackage[]> {
    return (await this.#call((o) => this.#credits.listPackages({}, o), options)).packages;
  }

  /** Starts a Stripe Checkout: `{checkoutUrl, sessionId}`; credits arrive once Stripe confirms. */
  createCheckout(packageId: string, options?: CallOptions): Promise<CreateCheckoutResponse> {
    return this.#call((o) => this.#credits.createCheckout({ packageId }, o), options);
  }

  // ---- jobs ----------------------------------------------------------------------------------

  /**
   * Submits a job with an idempotency key (a fresh UUID unless given). When the server cannot be
   * reached the call is retried once with the same key, which never creates a second job.
   * Rejects with InsufficientCreditsError (402) or NoHealthyNodeError when the job cannot run.
   */
  async submitJob(request: SubmitJobRequest, options?: CallOptions): Promise<SubmittedJob> {
    const idempotencyKey = request.idempotencyKey ?? crypto.randomUUID();
    const message = {
      jobType: request.jobType, payload: request.payload, payloadRef: request.payloadRef,
      inputId: request.inputId, priority: request.priority ?? "normal", gpuRequired: request.gpuRequired ?? false,
      idempotencyKey,
    };
    const dispatch = () => this.#call((o) => this.#jobs.dispatchJob(message, o), options);
    let response;
    try {
      response = await dispatch();
    } catch (error) {
      if (!(error instanceof UnavailableError) || options?.signal?.aborted) {
        throw error;
      }
      response = await dispatch();
    }
    return { jobId: response.jobId, nodeId: response.nodeId, status: response.status, idempotencyKey };
  }

  /** One of the caller's jobs; another user's job rejects with NotFoundError. */
  async getJob(jobId: string, options?: CallOptions): Promise<Job> {
    return required((await this.#call((o) => this.#jobs.getJob({ jobId }, o), options)).job, "job");
  }

  /** The caller's jobs, newest first, optionally only those in `status` (e.g. "RUNNING"). */
  listJobs(filter: { status?: string; limit?: number; offset?: number } = {}, options?: CallOptions):
      Promise<ListJobsResponse> {
    return this.#call((o) => this.#jobs.listJobs(
      { status: filter.status ?? "", limit: filter.limit ?? 50, offset: filter.offset ?? 0 }, o), options);
  }

  /**
   * Cancels a QUEUED or DISPATCHED job and releases its hold; resolves to the CANCELLED job. A
   * running or ended job rejects with JobNotCancellableError.
   */
  async cancelJob(jobId: string, options?: CallOptions): Promise<Job> {
    return required((await this.#call((o) => this.#jobs.cancelJob({ jobId }, o), options)).job, "job");
  }

  /**
   * Polls the job (100 ms doubling to 2 s) until it is COMPLETED, FAILED or CANCELLED and resolves
   * to it; rejects with UnavailableError (DEADLINE_EXCEEDED) after `waitMs` (default 2 min).
   */
  async waitForJob(jobId: string, options: WaitOptions = {}): Promise<Job> {
    let last: Job | undefined;
    for await (const job of this.jobUpdates(jobId, options)) {
      last = job;
    }
    return last!;
  }

  /**
   * The job as it changes: yields it now and again whenever its status or progress changes
   * (polled, 100 ms doubling to 2 s), and ends after it reaches COMPLETED, FAILED or CANCELLED.
   * Rejects with UnavailableError (DEADLINE_EXCEEDED) after `waitMs` (default 2 min).
   * Polls, so it works through any proxy; {@link watchJob} streams every event instead.
   */
  async *jobUpdates(jobId: string, options: WaitOptions = {}): AsyncGenerator<Job, void, undefined> {
    const waitMs = options.waitMs ?? 120_000;
    const giveUp = Date.now() + waitMs;
    let pauseMs = 100;
    let seen = "";
    for (;;) {
      const job = await this.getJob(jobId, options);
      const state = `${job.status}/${job.progress}/${job.framesDone}/${job.tasksDone}`;
      if (state !== seen) {
        seen = state;
        yield job;
      }
      if (TERMINAL_STATUSES.includes(job.status)) {
        return;
      }
      if (Date.now() > giveUp) {
        throw new UnavailableError("DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED",
          `job ${jobId} still ${job.status} after ${waitMs} ms`);
      }
      await sleep(pauseMs, options.signal);
      pauseMs = Math.min(pauseMs * 2, 2_000);
    }
  }

  /**
   * The job's events as they happen, over the WatchJob stream: the stored ones after `afterSeq`
   * (from seq 1 when absent) first, then live ones, with no gap and no duplicate; it ends after a
   * terminal event (job.completed, job.failed, job.cancelled), at once when the job already ended.
   * The stream has no deadline unless `timeoutMs` is given; stop it with `signal` or by leaving
   * the `for await` loop. Another user's job rejects with NotFoundError.
   */
  async *watchJob(jobId: string, options: CallOptions & { afterSeq?: bigint | undefined } = {}):
      AsyncGenerator<JobEvent, void, undefined> {
    await this.#freshen(true);
    const events = this.#jobs.watchJob({ jobId, afterSeq: options.afterSeq },
      { timeoutMs: options.timeoutMs, signal: options.signal, headers: this.#credentials.headers() });
    try {
      for await (const event of events) {
        yield event;
      }
    } catch (error) {
      throw toRenderTrustError(error);
    }
  }

  /** `{jobId, downloadUrl, expiresIn}` of a COMPLETED job (else NotFoundError RESULT_NOT_AVAILABLE). */
  getJobResult(jobId: string, options?: CallOptions): Promise<GetJobResultResponse> {
    return this.#call((o) => this.#jobs.getJobResult({ jobId }, o), options);
  }

  /** The bytes of a COMPLETED job's result (a render's: one ZIP of all its frames). */
  async downloadResultBytes(jobId: string, options?: CallOptions): Promise<Uint8Array> {
    const result = await this.getJobResult(jobId, options);
    return this.#transfers.download(result.downloadUrl, `the result of job ${jobId}`, this.#transferMs(options, 4),
      options?.signal);
  }

  /** A job's tasks (a render: one per frame range), in index order. */
  async listJobTasks(jobId: string, options?: CallOptions): Promise<JobTask[]> {
    return (await this.#call((o) => this.#jobs.listJobTasks({ jobId }, o), options)).tasks;
  }

  /** A job's outputs (a render: one per frame), each with its SHA-256 and a presigned download URL. */
  listJobOutputs(jobId: string, options?: CallOptions): Promise<ListJobOutputsResponse> {
    return this.#call((o) => this.#jobs.listJobOutputs({ jobId }, o), options);
  }

  /** One output's bytes, checked against its SHA-256 (a mismatch rejects with UnavailableError OUTPUT_MISMATCH). */
  async downloadOutput(output: JobOutput, options?: CallOptions): Promise<Uint8Array> {
    const bytes = await this.#transfers.download(output.downloadUrl, `output ${output.name}`,
      this.#transferMs(options, 4), options?.signal);
    const actual = await sha256Hex(bytes);
    if (output.sha256 && actual !== output.sha256.toLowerCase()) {
      throw new UnavailableError("OUTPUT_MISMATCH", "DATA_LOSS",
        `output ${output.name}: SHA-256 ${actual}, expected ${output.sha256}`);
    }
    return bytes;
  }

  // ---- uploads -------------------------------------------------------------------------------

  /**
   * Uploads bytes as an input (a scene, an asset): declares their size and SHA-256, PUTs them to
   * the presigned URL with the headers the server named, completes it; resolves to the READY
   * upload. Too large or over quota rejects with ValidationError before any byte moves.
   */
  async upload(data: Uint8Array | Blob, options: UploadOptions): Promise<Upload> {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    const created = await this.#call((o) => this.#uploads.createUpload({
      filename: options.filename, sizeBytes: BigInt(bytes.length), sha256,
      contentType: options.contentType ?? "application/octet-stream",
    }, o), options);
    await this.#transfers.upload(created.uploadUrl, created.uploadMethod, created.uploadHeaders, bytes,
      this.#transferMs(options, 20), options.signal);
    const uploadId = required(created.upload, "upload").id;
    return required((await this.#call((o) => this.#uploads.completeUpload({ uploadId }, o), options)).upload,
      "upload");
  }

  /** One of the caller's uploads; another user's id rejects with NotFoundError. */
  async getUpload(uploadId: string, options?: CallOptions): Promise<Upload> {
    return required((await this.#call((o) => this.#uploads.getUpload({ uploadId }, o), options)).upload, "upload");
  }

  /** The caller's uploads, newest first. */
  listUploads(page: { limit?: number; offset?: number } = {}, options?: CallOptions): Promise<ListUploadsResponse> {
    return this.#call((o) => this.#uploads.listUploads({ limit: page.limit ?? 50, offset: page.offset ?? 0 }, o),
      options);
  }

  /** Deletes an upload's bytes; ConflictError (UPLOAD_IN_USE) while an unfinished job uses it. */
  async deleteUpload(uploadId: string, options?: CallOptions): Promise<Upload> {
    return required((await this.#call((o) => this.#uploads.deleteUpload({ uploadId }, o), options)).upload,
      "upload");
  }

  // ---- tamper-evident ledger -----------------------------------------------------------------

  /** The Merkle inclusion proof of a ledger entry; NotAnchoredError until its batch is on chain. */
  getProof(entryId: string, options?: CallOptions): Promise<GetProofResponse> {
    return this.#call((o) => this.#ledger.getProof({ entryId }, o), options);
  }

  /** Waits while the entry answers NotAnchoredError (200 ms doubling to 5 s), then resolves to its proof. */
  async waitForProof(entryId: string, options: WaitOptions = {}): Promise<GetProofResponse> {
    const giveUp = Date.now() + (options.waitMs ?? 120_000);
    let pauseMs = 200;
    for (;;) {
      try {
        return await this.getProof(entryId, options);
      } catch (error) {
        if (!(error instanceof NotAnchoredError) || Date.now() > giveUp) {
          throw error;
        }
      }
      await sleep(pauseMs, options.signal);
      pauseMs = Math.min(pauseMs * 2, 5_000);
    }
  }

  /** True when the proof's path leads from its leaf to its root (RFC 6962; no trust in the server). */
  static proofVerifiesLocally(proof: MerklePath): Promise<boolean> {
    return proofVerifiesLocally(proof);
  }

  /** The server's comparison of the entry's Merkle root with the root on chain. */
  verifyEntry(entryId: string, options?: CallOptions): Promise<VerifyEntryResponse> {
    return this.#call((o) => this.#ledger.verifyEntry({ entryId }, o), options);
  }

  /** Anchored batches, newest first (`page` from 1, `perPage` 1..100). */
  listAnchors(page: { page?: number; perPage?: number } = {}, options?: CallOptions): Promise<ListAnchorsResponse> {
    return this.#call((o) => this.#ledger.listAnchors({ page: page.page ?? 1, perPage: page.perPage ?? 20 }, o),
      options);
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** Releases the client's connections (the Node client's HTTP/2 session); the base client holds none. */
  close(): void {}

  /** A presigned transfer's time limit: `factor` times the call deadline. */
  #transferMs(options: CallOptions | undefined, factor: number): number {
    return (options?.timeoutMs ?? this.timeoutMs) * factor;
  }

  #keep(accessToken: string, refreshToken: string | undefined): void {
    this.#credentials.useTokens(accessToken, refreshToken || undefined);
    this.#onTokens?.(this.#credentials.tokens);
  }

  /** Refreshes an access token about to expire; true when the session can be refreshed at all. */
  async #freshen(authenticated: boolean): Promise<boolean> {
    const canRefresh = authenticated && this.#credentials.refreshToken !== undefined;
    if (canRefresh && this.#credentials.expiresWithin(REFRESH_MARGIN_MS)) {
      await this.refresh();
    }
    return canRefresh;
  }

  /**
   * One call with the deadline and the credentials: refreshes an access token about to expire
   * first, and once more after an UNAUTHENTICATED answer, so a token that expired in flight costs
   * a retry, not an error. Every failure becomes a typed RenderTrustError.
   */
  async #call<T>(rpc: (options: ConnectCallOptions) => Promise<T>, options: CallOptions | undefined,
                 authenticated = true): Promise<T> {
    const canRefresh = await this.#freshen(authenticated);
    const attempt = () => rpc({
      timeoutMs: options?.timeoutMs ?? this.timeoutMs,
      signal: options?.signal,
      headers: authenticated ? this.#credentials.headers() : {},
    });
    let firstFailure: RenderTrustError;
    try {
      return await attempt();
    } catch (error) {
      firstFailure = toRenderTrustError(error);
      if (!(canRefresh && firstFailure.code === "UNAUTHENTICATED" && this.#credentials.refreshToken !== undefined)) {
        throw firstFailure;
      }
    }
    try {
      await this.refresh();
    } catch {
      throw firstFailure;
    }
    try {
      return await attempt();
    } catch (error) {
      throw toRenderTrustError(error);
    }
  }
}
