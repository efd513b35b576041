/** Jobs with an API key (idempotent submit, wait, updates, byte-exact download, list, cancel), uploads, credits, proofs. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConflictError, NotFoundError, RenderTrustClient, sha256Hex } from "../src/node.js";
import { buyCredits, freshClient, fundedClient, serverUrl, waitForStatus, waitUntil } from "./support.js";

describe("jobs, uploads, credits and proofs", () => {
  it("an echo job submitted with an API key completes, and a retry with its key returns the same job", async () => {
    const { client: owner } = await freshClient("jobs");
    const client = new RenderTrustClient({ baseUrl: serverUrl(), apiKey: (await owner.createApiKey("jobs")).key });
    const work = await mkdtemp(join(tmpdir(), "sdk-ts-jobs-"));
    try {
      const payload = { message: "hello, idempotently" };
      const first = await client.submitJob({ jobType: "echo", payload, idempotencyKey: "ts-retry-1" });
      const retry = await client.submitJob({ jobType: "echo", payload, idempotencyKey: "ts-retry-1" });
      assert.equal(retry.jobId, first.jobId);
      assert.equal(retry.idempotencyKey, "ts-retry-1");

      const statuses: string[] = [];
      for await (const job of client.jobUpdates(first.jobId, { waitMs: 90_000 })) {
        statuses.push(job.status);
      }
      assert.equal(statuses.at(-1), "COMPLETED", `updates: ${statuses.join(" -> ")}`);
      assert.equal(new Set(statuses).size, statuses.length, "each state once");
      const job = await client.waitForJob(first.jobId);
      assert.deepEqual([job.status, job.jobType, job.nodeId], ["COMPLETED", "echo", first.nodeId]);

      const completed = await client.listJobs({ status: "COMPLETED" });
      assert.deepEqual(completed.jobs.map((listed) => listed.id), [first.jobId]);
      assert.deepEqual((await client.listJobs({ status: "RUNNING" })).jobs, []);

      const result = await client.getJobResult(first.jobId);
      assert.ok(result.downloadUrl.startsWith("http"), result.downloadUrl);
      assert.ok(result.expiresIn > 0);
      const path = await client.downloadResult(first.jobId, join(work, "result.json"));
      assert.equal(await readFile(path, "utf8"), "hello, idempotently");
      assert.equal(new TextDecoder().decode(await client.downloadResultBytes(first.jobId)), "hello, idempotently");
      assert.ok((await client.listJobTasks(first.jobId)).every((task) => task.status === "COMPLETED"));
    } finally {
      client.close();
      owner.close();
      await rm(work, { recursive: true, force: true });
    }
  });

  it("watchJob streams a job's events until it ends, and another user's job answers NotFoundError", async () => {
    const { client } = await freshClient("watch");
    try {
      const submitted = await client.submitJob({ jobType: "echo", payload: { message: "watched" } });
      const events = [];
      for await (const event of client.watchJob(submitted.jobId)) {
        events.push(event);
      }
      assert.deepEqual(events.map((event) => event.seq), events.map((_, i) => BigInt(i + 1)), "seq 1.. without gaps");
      assert.equal(events[0]!.type, "job.created");
      assert.deepEqual([events.at(-1)!.type, events.at(-1)!.status], ["job.completed", "COMPLETED"]);
      assert.ok(events.every((event) => event.jobId === submitted.jobId));

      // replay after a seq: only what came later; an ended job's stream ends at once
      const replayed = [];
      for await (const event of client.watchJob(submitted.jobId, { afterSeq: events.at(-2)!.seq })) {
        replayed.push(event.type);
      }
      assert.deepEqual(replayed, ["job.completed"]);

      const { client: other } = await freshClient("watch-other");
      try {
        const foreign = await (async () => {
          for await (const event of other.watchJob(submitted.jobId)) {
            assert.fail(`another user saw ${event.type}`);
          }
        })().catch((e: unknown) => e);
        assert.ok(foreign instanceof NotFoundError && foreign.httpStatus === 404, String(foreign));
      } finally {
        other.close();
      }
    } finally {
      client.close();
    }
  });

  it("a queued job can be cancelled, a running one not", async () => {
    const { client } = await fundedClient("cancel");
    try {
      // the node has one slot: while it sleeps, the next job waits
      const sleeping = await client.submitJob({ jobType: "e2e_sleep", payload: { seconds: 4 } });
      await waitForStatus(client, sleeping.jobId, "RUNNING");
      const waiting = await client.submitJob({ jobType: "e2e_sleep", payload: { seconds: 1 } });
      const cancelled = await client.cancelJob(waiting.jobId);
      assert.equal(cancelled.status, "CANCELLED");
      assert.equal((await client.getJob(waiting.jobId)).status, "CANCELLED");
      const done = await client.waitForJob(sleeping.jobId, { waitMs: 60_000 });
      assert.equal(done.status, "COMPLETED");
    } finally {
      client.close();
    }
  });

  it("an upload is declared, PUT to its presigned URL, completed, used by a job and deleted", async () => {
    const { client } = await fundedClient("uploads");
    try {
      const bytes = new TextEncoder().encode("a scene, byte for byte\n".repeat(100));
      const upload = await client.upload(bytes, { filename: "scene.txt", contentType: "text/plain" });
      assert.deepEqual([upload.status, upload.filename, upload.sizeBytes, upload.sha256],
        ["READY", "scene.txt", BigInt(bytes.length), await sha256Hex(bytes)]);
      assert.equal((await client.getUpload(upload.id)).status, "READY");
      assert.deepEqual((await client.listUploads()).uploads.map((listed) => listed.id), [upload.id]);

      const job = await client.submitJob({ jobType: "e2e_sleep", inputId: upload.id, payload: { seconds: 2 } });
      assert.equal((await client.getJob(job.jobId)).inputId, upload.id);
      const inUse = await client.deleteUpload(upload.id).catch((e: unknown) => e);
      assert.ok(inUse instanceof ConflictError && inUse.reason === "UPLOAD_IN_USE", String(inUse));
      await client.waitForJob(job.jobId, { waitMs: 60_000 });
      assert.equal((await client.deleteUpload(upload.id)).status, "DELETED");

      const { client: other } = await freshClient("uploads-other");
      try {
        await assert.rejects(other.getUpload(upload.id), NotFoundError);
      } finally {
        other.close();
      }
    } finally {
      client.close();
    }
  });

  it("a purchase shows in balance and history, and its entry is proven on chain", async () => {
    const { client } = await freshClient("credits");
    try {
      assert.equal((await client.getBalance()).balance, "0.0000");
      assert.deepEqual((await client.listPackages()).map((p) => p.id), ["credits_100", "credits_500", "credits_1000"]);
      await buyCredits(client);
      await waitUntil("the purchase", async () => (await client.getBalance()).balance === "100.0000" || undefined);
      const history = await client.getCreditHistory();
      assert.equal(history.entries.length, 1);
      const entry = history.entries[0]!;
      assert.deepEqual([entry.direction, entry.source, entry.amount, entry.balanceAfter],
        ["CREDIT", "PURCHASE", "100.0000", "100.0000"]);

      const proof = await client.waitForProof(entry.id, { waitMs: 120_000 });
      assert.equal(await RenderTrustClient.proofVerifiesLocally(proof), true);
      assert.equal(await RenderTrustClient.proofVerifiesLocally({ ...proof, leaf: "00".repeat(32) }), false);
      const verification = await client.verifyEntry(entry.id);
      assert.equal(verification.verified, true);
      assert.equal(verification.onChainRoot, proof.merkleRoot);
      assert.ok((await client.listAnchors()).anchors.length > 0);

      // a paid job now runs and is captured
      const paid = await client.submitJob({ jobType: "cpu_benchmark", payload: { limit: 1000 } });
      assert.equal((await client.waitForJob(paid.jobId, { waitMs: 90_000 })).status, "COMPLETED");
      assert.ok(Number((await client.getBalance()).balance) < 100);
    } finally {
      client.close();
    }
  });
});
