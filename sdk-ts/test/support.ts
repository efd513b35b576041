/**
 * What the SDK tests share: the real server they run against, fresh accounts, a purchase and waits.
 *
 * The server URL comes from RENDERTRUST_TEST_URL (the e2e test TypeScriptSdkIT starts ServerMain
 * --dev with a node agent offering echo, cpu_benchmark and e2e_sleep, and sets it). Buying credits
 * plays Stripe's signed "payment succeeded" webhook with RENDERTRUST_TEST_STRIPE_WEBHOOK_SECRET,
 * the server's RT_STRIPE_WEBHOOK_SECRET.
 */
import { createHmac } from "node:crypto";
import { RenderTrustClient, type Job } from "../src/node.js";

export const PASSWORD = "correct horse battery";

export function serverUrl(): string {
  const url = process.env["RENDERTRUST_TEST_URL"];
  if (!url) {
    throw new Error("RENDERTRUST_TEST_URL is not set: these tests need a running server"
      + " (run them through the e2e test TypeScriptSdkIT)");
  }
  return url;
}

export function newEmail(role = "creator"): string {
  return `ts-${role}-${crypto.randomUUID().slice(0, 10)}@sdk.example.com`;
}

/** A client logged in as a newly registered creator. */
export async function freshClient(role = "creator"): Promise<{ client: RenderTrustClient; email: string }> {
  const client = new RenderTrustClient({ baseUrl: serverUrl() });
  const email = newEmail(role);
  await client.register(email, PASSWORD, `TypeScript ${role}`);
  return { client, email };
}

/** A purchase as in production: a checkout through the SDK, then Stripe's signed webhook about it. */
export async function buyCredits(client: RenderTrustClient, packageId = "credits_100"): Promise<void> {
  const packages = new Map((await client.listPackages()).map((p) => [p.id, p]));
  const chosen = packages.get(packageId);
  if (!chosen) {
    throw new Error(`no package ${packageId}`);
  }
  const checkout = await client.createCheckout(packageId);
  const session = {
    id: checkout.sessionId, object: "checkout.session", payment_status: "paid",
    client_reference_id: (await client.getBalance()).userId,
    amount_total: chosen.priceCents, currency: chosen.currency,
  };
  const body = JSON.stringify({
    id: `evt_ts_${checkout.sessionId}`, object: "event", type: "checkout.session.completed", livemode: false,
    data: { object: session },
  });
  const timestamp = Math.floor(Date.now() / 1000).toString();
  const secret = process.env["RENDERTRUST_TEST_STRIPE_WEBHOOK_SECRET"] ?? "";
  const signature = createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
  const response = await fetch(new URL("/api/v1/webhooks/stripe", serverUrl()), {
    method: "POST", body,
    headers: { "content-type": "application/json", "stripe-signature": `t=${timestamp},v1=${signature}` },
  });
  if (response.status !== 200) {
    throw new Error(`the webhook answered ${response.status}: ${await response.text()}`);
  }
}

/** Polls `condition` every 200 ms until it returns a value; fails after `timeoutMs`. */
export async function waitUntil<T>(what: string, condition: () => Promise<T | undefined>,
                                   timeoutMs = 90_000): Promise<T> {
  const giveUp = Date.now() + timeoutMs;
  while (Date.now() < giveUp) {
    const value = await condition();
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function waitForStatus(client: RenderTrustClient, jobId: string, status: string): Promise<Job> {
  return waitUntil(`job ${jobId} ${status}`, async () => {
    const job = await client.getJob(jobId);
    return job.status === status ? job : undefined;
  });
}

/** A fresh creator with 100 credits bought (command jobs such as e2e_sleep cost 1 credit). */
export async function fundedClient(role: string): Promise<{ client: RenderTrustClient; email: string }> {
  const created = await freshClient(role);
  await buyCredits(created.client);
  await waitUntil("the purchase", async () =>
    (await created.client.getBalance()).balance === "100.0000" || undefined);
  return created;
}
