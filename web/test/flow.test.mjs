/**
 * The creator app in Debian's chromium through playwright-core (executablePath /usr/bin/chromium;
 * no browser is downloaded), against the real server e2e's WebAppIT starts. Steps run in order
 * and share one browser session, like a person would: the seed guide's flow first, then the pages
 * beyond it, then the phone-sized viewport. Any console error or page error fails the run.
 *
 *   RT_WEB_URL=http://localhost:8000/ RT_WEB_SCREENSHOTS=/tmp/shots RT_WEB_OPERATOR_EMAIL=… \
 *   RT_WEB_OPERATOR_PASSWORD=… RT_WEB_SLEEP_JOB=e2e_sleep RT_WEB_WEBHOOK_URL=http://127.0.0.1:9/h RT_WEB_BLENDER=blender \
 *   node --test --test-concurrency=1 test/flow.test.mjs
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { chromium } from "playwright-core";

const BASE = required("RT_WEB_URL").replace(/\/$/, "");
const SHOTS = required("RT_WEB_SCREENSHOTS");
const SLEEP_JOB = required("RT_WEB_SLEEP_JOB");
const PASSWORD = "correct horse battery";
/** web/test → the repository root (the agent's Blender test script makes the scene) */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const EMAIL = `web-${Math.random().toString(36).slice(2, 10)}@e2e.example.com`;
const SLOW = { timeout: 90_000 };

let browser;
let context;
let page;
const consoleErrors = [];

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run this through e2e's WebAppIT`);
  }
  return value;
}

function watch(target) {
  target.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push(`${target.url()}: ${message.text()}`);
    }
  });
  target.on("pageerror", (error) => consoleErrors.push(`${target.url()}: ${error.message}`));
}

async function shot(name, target = page) {
  await target.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Waits until the jobs table shows exactly `count` rows (it re-reads after a filter click). */
async function rowCount(count) {
  const giveUp = Date.now() + 15_000;
  while ((await page.locator("tr[data-job-id]").count()) !== count) {
    assert.ok(Date.now() < giveUp, `the jobs table never showed ${count} rows`);
    await page.waitForTimeout(100);
  }
}

const heading = (name, target = page) => target.getByRole("heading", { level: 1, name });
const sidebar = (name) => page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name, exact: true });

async function submitJob(jobType, payload) {
  await sidebar("Jobs").click();
  await page.getByRole("link", { name: "Submit Job" }).click();
  await heading("Submit Job").waitFor();
  await page.getByLabel("Job Type").fill(jobType);
  await page.getByLabel("Payload").fill(payload);
  await page.getByRole("button", { name: "Submit", exact: true }).click();
}

async function submitAndOpen(jobType, payload) {
  await submitJob(jobType, payload);
  const submitted = page.getByTestId("submitted");
  await submitted.waitFor(SLOW);
  const jobId = (await submitted.locator("code").first().textContent()).trim();
  await submitted.getByRole("link", { name: "View job" }).click();
  await page.getByTestId("job-status").waitFor();
  return jobId;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  context.on("page", watch);
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
});

test("the app opens at / on the Log In page", async () => {
  await page.goto(`${BASE}/`);
  await heading("Log In").waitFor();
  assert.equal(new URL(page.url()).pathname, "/login");
  await shot("login");
});

test("Create Account: Email, Name, Password (min 8) → Register, logged in automatically", async () => {
  await page.getByRole("link", { name: "Create Account" }).click();
  await heading("Create Account").waitFor();
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByLabel("Name").fill("Web Creator");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Register" }).click();
  await page.getByRole("alert").filter({ hasText: "at least 8 characters" }).waitFor();
  await page.getByLabel("Password").fill(PASSWORD);
  await shot("register");
  await page.getByRole("button", { name: "Register" }).click();
  await heading("Jobs").waitFor();
  await sidebar("Credits").waitFor();
});

test("Credits: Available Balance 0, the 7-day usage chart and the three packages", async () => {
  await sidebar("Credits").click();
  await heading("Credits").waitFor();
  await page.getByRole("region", { name: "Available Balance" }).getByTestId("balance").filter({ hasText: /^0$/ }).waitFor();
  const packages = page.getByRole("region", { name: "Buy Credits" });
  for (const price of ["$10.00", "$40.00", "$70.00"]) {
    await packages.getByText(price, { exact: true }).waitFor();
  }
  assert.equal(await packages.getByRole("button", { name: /^Buy Now/ }).count(), 3);
  await page.getByRole("img", { name: /Credits spent per day/ }).waitFor();
  await shot("credits-empty");
});

test("a priced job without credits shows the 402 warning that points to Credits", async () => {
  await submitJob(SLEEP_JOB, '{"seconds": 1}');
  const warning = page.getByTestId("insufficient-credits");
  await warning.waitFor(SLOW);
  assert.match(await warning.textContent(), /Insufficient credits/);
  await shot("insufficient-credits");
  await warning.getByRole("link", { name: "Go to Credits" }).click();
  await heading("Credits").waitFor();
});

test("Buy Now → Stripe Checkout → /checkout/success; 100 credits and a purchase badge", async () => {
  const [checkout] = await Promise.all([
    context.waitForEvent("page"),
    page.getByRole("button", { name: /^Buy Now: 100 credits/ }).click(),
  ]);
  await checkout.getByRole("button", { name: "Pay" }).waitFor(SLOW);
  await shot("stripe-checkout", checkout);
  await checkout.getByRole("button", { name: "Pay" }).click();
  await checkout.waitForURL(/\/checkout\/success\?session_id=cs_test_web_/);
  await heading("Payment successful", checkout).waitFor();
  await shot("checkout-success", checkout);
  await checkout.close();
  // this tab kept its session and learns of the purchase by itself: no reload
  await page.getByTestId("balance").filter({ hasText: /^100$/ }).waitFor(SLOW);
  await page.getByRole("status").filter({ hasText: "Payment confirmed: your balance is now 100 credits." }).waitFor();
  await page.getByRole("region", { name: "Transaction History" }).getByText("purchase", { exact: true }).waitFor();
  await shot("credits");
});

test("the checkout's cancel page", async () => {
  const cancel = await context.newPage();
  await cancel.goto(`${BASE}/checkout/cancel`);
  await heading("Payment cancelled", cancel).waitFor();
  await cancel.close();
});

test("the purchase is verified on chain (the ledger proof, checked in the browser)", async () => {
  const history = page.getByRole("region", { name: "Transaction History" });
  const badge = history.getByText("verified on chain");
  const giveUp = Date.now() + 90_000;
  while (!(await badge.isVisible())) {
    assert.ok(Date.now() < giveUp, "the purchase was not verified on chain within 90 s");
    const verify = history.getByRole("button", { name: /^Verify transaction/ }).first();
    if (await verify.isEnabled().catch(() => false)) {
      await verify.click();
    }
    await page.waitForTimeout(1_000);
  }
});

test("an echo job reaches COMPLETED without a reload (list and detail), and its result downloads", async () => {
  await submitJob("echo", '{"message": "hello from the web app"}');
  await page.getByTestId("submitted").waitFor(SLOW);
  await sidebar("Jobs").click();
  const row = page.locator("tr[data-job-id]").first();
  await row.getByText("COMPLETED", { exact: true }).waitFor(SLOW);
  await page.getByRole("button", { name: "COMPLETED", exact: true }).click();
  await row.getByText("COMPLETED", { exact: true }).waitFor();
  await page.getByRole("button", { name: "ALL", exact: true }).click();
  await shot("jobs");
  await row.getByRole("link").click();
  await page.getByTestId("job-status").filter({ hasText: "COMPLETED" }).waitFor(SLOW);
  assert.equal(await page.getByRole("button", { name: "Cancel" }).count(), 0, "no Cancel on a COMPLETED job");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download Result" }).click(),
  ]);
  assert.equal(await readFile(await download.path(), "utf8"), "hello from the web app");
  await shot("job-detail");
});

test("live progress through WatchJob: a new job's detail follows its events to COMPLETED", async () => {
  const jobId = await submitAndOpen("echo", '{"message": "watched"}');
  await page.getByTestId("job-status").filter({ hasText: "COMPLETED" }).waitFor(SLOW);
  await page.getByRole("region", { name: "Events" }).getByText(/job\.completed/).waitFor(SLOW);
  assert.ok(jobId.length > 8);
});

test("cancel a queued job: Cancel only while it can be cancelled", async () => {
  // one slot: the first sleeping job holds it, the second waits QUEUED
  const running = await submitAndOpen(SLEEP_JOB, '{"seconds": 30}');
  await page.getByTestId("job-status").filter({ hasText: /DISPATCHED|RUNNING/ }).waitFor(SLOW);
  await submitAndOpen(SLEEP_JOB, '{"seconds": 1}');
  await page.getByTestId("job-status").filter({ hasText: "QUEUED" }).waitFor();
  await shot("job-queued");
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByTestId("job-status").filter({ hasText: "CANCELLED" }).waitFor(SLOW);
  assert.equal(await page.getByRole("button", { name: "Cancel" }).count(), 0, "no Cancel on a CANCELLED job");
  // the running one can be cancelled too (frees the node)
  await sidebar("Jobs").click();
  await page.locator(`tr[data-job-id="${running}"]`).getByRole("link").click();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.getByTestId("job-status").filter({ hasText: "CANCELLED" }).waitFor(SLOW);
  await sidebar("Jobs").click();
  await page.getByRole("button", { name: "CANCELLED", exact: true }).click();
  await rowCount(2);
  assert.equal(await page.locator("tr[data-job-id]").filter({ hasText: "CANCELLED" }).count(), 2);
});

test("Submit Job shows a live estimate (EstimateJob) for the chosen type and tier", async () => {
  await sidebar("Jobs").click();
  await page.getByRole("link", { name: "Submit Job" }).click();
  await page.getByLabel("Job Type").fill(SLEEP_JOB);
  await page.getByLabel("Tier").selectOption("priority");
  await page.getByTestId("estimate").filter({ hasText: /^1\.5 credits in 1 task · you have 100 · 1 eligible node/ }).waitFor(SLOW);
  await page.getByLabel("GPU Required").check();
  await shot("submit-job");
  await page.getByLabel("GPU Required").uncheck();
});

test("a render of an uploaded scene: frame range, tier, live estimate, progress, the frame gallery and the ZIP", async () => {
  const work = await mkdtemp(join(tmpdir(), "web-render-"));
  await promisify(execFile)(required("RT_WEB_BLENDER"), ["-b", "--factory-startup", "--python-exit-code", "1",
    "--python", join(ROOT, "node-agent/src/test/resources/blender/gen_scenes.py"), "--", work], { timeout: 180_000 });
  await sidebar("Jobs").click();
  await page.getByRole("link", { name: "Submit Job" }).click();
  await page.getByLabel("Job Type").fill("render");
  await page.getByLabel("Payload").fill(
    '{"resolution_x": 64, "resolution_y": 48, "samples": 1, "engine": "CYCLES", "format": "PNG", "frames_per_task": 1}');
  await page.getByLabel("Scene (.blend)").setInputFiles(join(work, "animation.blend"));
  await page.getByLabel("Frame start").fill("1");
  await page.getByLabel("Frame end").fill("2");
  await page.getByLabel("Tier").selectOption("economy");
  // 10 credits a frame, two frames, economy ×0.8
  await page.getByTestId("estimate").filter({ hasText: /^16 credits for 2 frames in 2 tasks/ }).waitFor(SLOW);
  await shot("submit-render");
  await page.getByRole("button", { name: "Submit", exact: true }).click();
  const submitted = page.getByTestId("submitted");
  await submitted.waitFor(SLOW);
  await submitted.getByRole("link", { name: "View job" }).click();
  await page.getByTestId("job-status").filter({ hasText: "COMPLETED" }).waitFor({ timeout: 300_000 });
  const frames = page.getByRole("region", { name: "Frames" });
  await frames.getByRole("img", { name: "Frame 2" }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll(".gallery img")].every((img) => img.complete && img.naturalWidth === 64));
  await shot("render-detail");
  const [frame] = await Promise.all([page.waitForEvent("download"), frames.getByRole("link", { name: "Download frame 1" }).click()]);
  assert.deepEqual([...(await readFile(await frame.path())).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], "frame 1 is a PNG");
  const [zip] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download Result" }).click()]);
  assert.deepEqual([...(await readFile(await zip.path())).subarray(0, 2)], [0x50, 0x4b], "the result is a ZIP");
  await sidebar("Jobs").click();
  await page.locator("tr[data-job-id]").nth(4).waitFor();
  await shot("jobs-all");
  await rm(work, { recursive: true, force: true });
});

test("API keys: created (shown once), listed, revoked; webhooks: an endpoint with its secret, a test event", async () => {
  await sidebar("API Keys").click();
  await page.getByLabel("Key name").fill("web-ci");
  await page.getByRole("button", { name: "Create Key" }).click();
  assert.match(await page.getByTestId("new-api-key").textContent(), /^rt_live_/);
  await page.getByRole("button", { name: "Revoke key web-ci" }).click();
  await page.getByText("revoked", { exact: true }).waitFor();
  await shot("api-keys");

  await sidebar("Webhooks").click();
  await page.getByLabel("Endpoint URL").fill(required("RT_WEB_WEBHOOK_URL"));
  await page.getByLabel("Description").fill("from the browser test");
  await page.getByRole("button", { name: "Add Endpoint" }).click();
  await page.getByText(/Signing secret .*whsec_/).waitFor();
  await page.getByRole("button", { name: "Send Test" }).click();
  await page.getByText(/webhook\.test event is on its way/).waitFor();
  await shot("webhooks");
});

test("the operator's page lists their node and earnings", async () => {
  const operator = await context.browser().newContext({ viewport: { width: 1280, height: 800 } });
  operator.on("page", watch);
  const tab = await operator.newPage();
  await tab.goto(`${BASE}/operator`);
  await tab.getByLabel("Email").fill(required("RT_WEB_OPERATOR_EMAIL"));
  await tab.getByLabel("Password").fill(required("RT_WEB_OPERATOR_PASSWORD"));
  await tab.getByRole("button", { name: "Log In" }).click();
  await tab.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Operator" }).click();
  const nodes = tab.getByRole("region", { name: "Your Nodes" });
  await nodes.getByText("web-node").waitFor(SLOW);
  await nodes.getByText(/echo/).waitFor();
  await tab.getByRole("region", { name: "Earnings Balance" }).waitFor();
  await shot("operator", tab);
  await operator.close();
});

test("phone size: keyboard-only login, pages fit the width; no console errors anywhere", async () => {
  const phone = await context.browser().newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  phone.on("page", watch);
  const tab = await phone.newPage();
  await tab.goto(`${BASE}/`);
  await heading("Log In", tab).waitFor();
  await tab.keyboard.press("Tab"); // the first field after the heading
  await tab.keyboard.type(EMAIL);
  await tab.keyboard.press("Tab");
  await tab.keyboard.type(PASSWORD);
  await tab.keyboard.press("Enter");
  await heading("Jobs", tab).waitFor();
  await tab.locator("tr[data-job-id]").first().waitFor();
  await shot("phone-jobs", tab);
  await tab.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Credits", exact: true }).click();
  await tab.getByTestId("balance").filter({ hasText: /^\d/ }).waitFor();
  await shot("phone-credits", tab);
  for (const where of ["Jobs", "Credits"]) {
    await tab.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: where, exact: true }).click();
    await heading(where, tab).waitFor();
    const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${where} is ${overflow}px wider than the phone`);
  }
  await phone.close();
  assert.deepEqual(consoleErrors, [], "console errors");
});
