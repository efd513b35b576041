/** Typed errors keyed by ErrorInfo.reason: 401, 402, 403, 404, 409, 422 and the job-specific 400s (429: identity). */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AuthenticationError, ConflictError, InsufficientCreditsError, JobNotCancellableError, NoHealthyNodeError,
  NotFoundError, PermissionDeniedError, RenderTrustClient, RenderTrustError, ValidationError,
} from "../src/node.js";
import { PASSWORD, freshClient, serverUrl, waitForStatus } from "./support.js";

/** Asserts that `promise` rejects with `kind` carrying `reason` and `httpStatus`; returns the error. */
async function refused<E extends RenderTrustError>(promise: Promise<unknown>, kind: abstract new (...args: never[]) => E,
                                                   reason: string, httpStatus: number): Promise<E> {
  const error = await promise.then(() => assert.fail(`expected ${kind.name} ${reason}`), (e: unknown) => e);
  assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
  assert.ok(error instanceof RenderTrustError);
  assert.deepEqual([error.reason, error.httpStatus], [reason, httpStatus], String(error));
  assert.ok(error.detail, "the server's message");
  return error;
}

describe("typed errors", () => {
  let client: RenderTrustClient;
  let email: string;

  before(async () => {
    ({ client, email } = await freshClient("errors"));
  });

  after(() => client.close());

  it("401: a wrong password and a call without credentials", async () => {
    const anonymous = new RenderTrustClient({ baseUrl: serverUrl() });
    try {
      await refused(anonymous.login(email, "not the password"), AuthenticationError, "INVALID_CREDENTIALS", 401);
      const missing = await anonymous.getBalance().catch((e: unknown) => e);
      assert.ok(missing instanceof AuthenticationError);
      assert.equal(missing.httpStatus, 401);
      const badKey = new RenderTrustClient({ baseUrl: serverUrl(), apiKey: "rt_not_a_key" });
      const rejected = await badKey.getBalance().catch((e: unknown) => e);
      badKey.close();
      assert.ok(rejected instanceof AuthenticationError, String(rejected));
    } finally {
      anonymous.close();
    }
  });

  it("402: a priced job without credits says what is available and requested, and writes nothing", async () => {
    const error = await refused(client.submitJob({ jobType: "cpu_benchmark", payload: { limit: 1000 } }),
      InsufficientCreditsError, "INSUFFICIENT_CREDITS", 402);
    assert.equal(Number(error.available), 0);
    assert.equal(Number(error.requested), 1);
    const jobs = (await client.listJobs()).jobs;
    assert.deepEqual(jobs.filter((job) => job.jobType === "cpu_benchmark"), [], "nothing was written");
  });

  it("403: an API key cannot mint API keys", async () => {
    const { key } = await client.createApiKey("errors-403");
    const byKey = new RenderTrustClient({ baseUrl: serverUrl(), apiKey: key });
    try {
      await refused(byKey.createApiKey("another"), PermissionDeniedError, "PERMISSION_DENIED", 403);
    } finally {
      byKey.close();
    }
  });

  it("404: a missing job and another user's job answer alike", async () => {
    await refused(client.getJob(crypto.randomUUID()), NotFoundError, "NOT_FOUND", 404);
    const { client: other } = await freshClient("other");
    try {
      const job = await other.submitJob({ jobType: "echo", payload: { message: "mine" } });
      await refused(client.getJob(job.jobId), NotFoundError, "NOT_FOUND", 404);
      await refused(client.cancelJob(job.jobId), NotFoundError, "NOT_FOUND", 404);
      await refused(client.getJobResult(crypto.randomUUID()), NotFoundError, "NOT_FOUND", 404);
    } finally {
      other.close();
    }
  });

  it("409: a taken e-mail and an idempotency key reused for another request", async () => {
    const again = new RenderTrustClient({ baseUrl: serverUrl() });
    try {
      await refused(again.register(email, PASSWORD, "Again"), ConflictError, "EMAIL_TAKEN", 409);
    } finally {
      again.close();
    }
    const first = await client.submitJob({ jobType: "echo", payload: { message: "one" } });
    await refused(client.submitJob({ jobType: "echo", payload: { message: "two" }, idempotencyKey: first.idempotencyKey }),
      ConflictError, "IDEMPOTENCY_CONFLICT", 409);
  });

  it("422: an unknown status filter and an unknown package", async () => {
    await refused(client.listJobs({ status: "SLEEPING" }), ValidationError, "VALIDATION_FAILED", 422);
    await refused(client.createCheckout("credits_7"), ValidationError, "UNKNOWN_PACKAGE", 422);
  });

  it("400: no node offers the job type, and an ended job cannot be cancelled", async () => {
    await refused(client.submitJob({ jobType: "quantum_annealing" }), NoHealthyNodeError, "NO_HEALTHY_NODE", 400);
    const job = await client.submitJob({ jobType: "echo", payload: { message: "done soon" } });
    await waitForStatus(client, job.jobId, "COMPLETED");
    await refused(client.cancelJob(job.jobId), JobNotCancellableError, "JOB_NOT_CANCELLABLE", 400);
  });
});
