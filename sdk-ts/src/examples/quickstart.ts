/**
 * The TypeScript SDK quickstart (docs/sdk-ts.md) as a program: a new creator registers, logs in,
 * creates an API key, submits an `echo` job with that key, watches it to the end, downloads the result and
 * checks it. Run it against a server with a node that offers `echo`:
 * `./rendertrust sdk-example ts [http://localhost:8000]`. Exit code 0 only when the job completed
 * and its result is the message sent; 2 when no node offers echo.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NoHealthyNodeError, RenderTrustClient } from "../node.js";

const MESSAGE = "hello from the TypeScript SDK";

export async function main(argv: string[]): Promise<number> {
  const baseUrl = argv[0] ?? "http://localhost:8000";
  const email = `quickstart-${crypto.randomUUID()}@example.com`;
  const password = "correct horse battery staple";

  const session = new RenderTrustClient({ baseUrl });
  let key: string;
  try {
    await session.register(email, password, "Quickstart");
    await session.login(email, password);
    key = (await session.createApiKey("quickstart")).key;
  } finally {
    session.close();
  }

  const client = new RenderTrustClient({ baseUrl, apiKey: key });
  const work = await mkdtemp(join(tmpdir(), "rendertrust-quickstart-"));
  try {
    let submitted;
    try {
      submitted = await client.submitJob({ jobType: "echo", payload: { message: MESSAGE } });
    } catch (error) {
      if (error instanceof NoHealthyNodeError) {
        console.error(`no node offers echo (${error.detail}): start one with`
          + " ./rendertrust agent register ... && ./rendertrust agent run");
        return 2;
      }
      throw error;
    }
    console.log(`submitted job ${submitted.jobId}: ${submitted.status}`);
    // watch its events (the WatchJob stream) until it ends
    for await (const event of client.watchJob(submitted.jobId, { timeoutMs: 120_000 })) {
      console.log(`  ${event.seq} ${event.type} ${event.status}`);
    }
    const job = await client.getJob(submitted.jobId);
    console.log(`job ${job.id}: ${job.status} on node ${job.nodeId}`);
    if (job.status !== "COMPLETED") {
      console.error(`the job did not complete: ${job.errorMessage}`);
      return 1;
    }
    const path = await client.downloadResult(job.id, join(work, "result.txt"));
    const text = await readFile(path, "utf8");
    console.log(`result: ${text}`);
    console.log(`balance: ${(await client.getBalance()).balance}`);
    if (text !== MESSAGE) {
      console.error("the result differs from the message sent");
      return 1;
    }
    return 0;
  } finally {
    client.close();
    await rm(work, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
