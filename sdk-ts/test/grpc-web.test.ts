/**
 * The browser client (`@rendertrust/sdk/web`: gRPC-Web over fetch) against the real server, run
 * from Node, whose fetch is the same API: sessions, calls, the WatchJob server stream and
 * typed errors read from the ErrorInfo details of gRPC-Web trailers.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthenticationError, NotFoundError, RenderTrustClient, ValidationError } from "../src/web.js";
import { PASSWORD, newEmail, serverUrl } from "./support.js";

describe("gRPC-Web (the browser transport)", () => {
  it("registers, submits and reads a job, and gets typed errors keyed by ErrorInfo.reason", async () => {
    const client = new RenderTrustClient({ baseUrl: serverUrl() });
    const email = newEmail("web");
    const registered = await client.register(email, PASSWORD, "Browser");
    assert.equal(registered.user?.email, email);
    assert.equal((await client.getBalance()).balance, "0.0000");
    assert.equal((await client.listPackages()).length, 3);

    const submitted = await client.submitJob({ jobType: "echo", payload: { message: "over gRPC-Web" } });
    const streamed: string[] = [];
    for await (const event of client.watchJob(submitted.jobId, { timeoutMs: 90_000 })) {
      streamed.push(event.type);
    }
    assert.equal(streamed.at(-1), "job.completed", `the WatchJob stream over gRPC-Web: ${streamed.join(", ")}`);
    const job = await client.waitForJob(submitted.jobId, { waitMs: 90_000 });
    assert.equal(job.status, "COMPLETED");
    assert.equal(new TextDecoder().decode(await client.downloadResultBytes(job.id)), "over gRPC-Web");

    const missing = await client.getJob(crypto.randomUUID()).catch((e: unknown) => e);
    assert.ok(missing instanceof NotFoundError, String(missing));
    assert.deepEqual([missing.reason, missing.httpStatus], ["NOT_FOUND", 404]);
    const invalid = await client.listJobs({ status: "SLEEPING" }).catch((e: unknown) => e);
    assert.ok(invalid instanceof ValidationError && invalid.reason === "VALIDATION_FAILED", String(invalid));

    const anonymous = new RenderTrustClient({ baseUrl: serverUrl() });
    const wrong = await anonymous.login(email, "not the password").catch((e: unknown) => e);
    assert.ok(wrong instanceof AuthenticationError && wrong.reason === "INVALID_CREDENTIALS", String(wrong));
  });
});
