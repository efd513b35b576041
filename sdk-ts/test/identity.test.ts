/** Sessions and API keys: refresh ahead of expiry and after an UNAUTHENTICATED answer, its 429, logout, x-api-key. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthenticationError, RateLimitedError, RenderTrustClient, type Tokens } from "../src/node.js";
import { freshClient, serverUrl } from "./support.js";

describe("identity", () => {
  it("a token rejected in flight or near expiry is refreshed, and refreshing too often answers 429", async () => {
    // The only test that refreshes: refresh is limited to a few calls per minute and client IP.
    const seen: (Tokens | undefined)[] = [];
    const client = new RenderTrustClient({ baseUrl: serverUrl(), onTokens: (tokens) => seen.push(tokens) });
    try {
      await client.register(`ts-refresh-${crypto.randomUUID().slice(0, 8)}@sdk.example.com`,
        "correct horse battery", "Refresh");
      const balance = await client.getBalance();
      const refreshToken = client.tokens!.refreshToken!;
      // a token the server refuses, as an expired one would be
      client.useTokens("not.a.valid-token", refreshToken);
      assert.deepEqual(await client.getBalance(), balance);
      assert.notEqual(client.tokens!.refreshToken, refreshToken, "the refresh token was rotated");

      // an access token about to expire is refreshed before the call, not after a refusal
      const rotated = client.tokens!.refreshToken;
      client.credentials.expiresAtMs = Date.now() + 30_000;
      assert.deepEqual(await client.getBalance(), balance);
      assert.notEqual(client.tokens!.refreshToken, rotated, "refreshed ahead of expiry");
      assert.equal(client.credentials.expiresWithin(60_000), false, "the new access token lives 30 minutes");
      assert.ok(seen.length >= 4 && seen.every((tokens) => tokens?.accessToken), "onTokens told every change");

      // concurrent calls that all need a refresh share one
      client.credentials.expiresAtMs = Date.now();
      const before = client.tokens!.refreshToken;
      const balances = await Promise.all([client.getBalance(), client.getBalance(), client.getBalance()]);
      assert.deepEqual(balances, [balance, balance, balance]);
      assert.notEqual(client.tokens!.refreshToken, before);

      const limited = await (async () => {
        for (let i = 0; i < 10; i++) {
          await client.refresh();
        }
      })().then(() => assert.fail("refreshing 10 times in a row was not limited"), (e: unknown) => e);
      assert.ok(limited instanceof RateLimitedError, String(limited));
      assert.deepEqual([limited.reason, limited.httpStatus], ["RATE_LIMITED", 429]);
      assert.ok((limited.retryAfterSeconds ?? 0) > 0, "says when to retry");
    } finally {
      client.close();
    }
  });

  it("logout ends the session", async () => {
    const { client } = await freshClient("logout");
    try {
      const access = client.tokens!.accessToken;
      await client.logout();
      assert.equal(client.tokens, undefined);
      await assert.rejects(client.getBalance(), AuthenticationError);
      client.useTokens(access);
      const revoked = await client.getBalance().catch((e: unknown) => e);
      assert.ok(revoked instanceof AuthenticationError);
      assert.equal(revoked.reason, "TOKEN_REVOKED");
    } finally {
      client.close();
    }
  });

  it("an API key authenticates until it is revoked", async () => {
    const { client: owner } = await freshClient("keys");
    try {
      const created = await owner.createApiKey("ci-pipeline");
      assert.ok(created.key.startsWith(created.apiKey!.prefix));
      assert.equal(created.apiKey!.revokedAt, undefined);
      const byKey = new RenderTrustClient({ baseUrl: serverUrl(), apiKey: created.key });
      try {
        assert.equal((await byKey.getBalance()).userId, (await owner.getBalance()).userId);
        const listed = await owner.listApiKeys();
        assert.deepEqual(listed.map((key) => key.name), ["ci-pipeline"]);
        const revoked = await owner.revokeApiKey(created.apiKey!.id);
        assert.ok(revoked.revokedAt);
        await assert.rejects(byKey.getBalance(), AuthenticationError);
      } finally {
        byKey.close();
      }
    } finally {
      owner.close();
    }
  });
});
