/** What the SDK decides on its own, without a server: error mapping, token expiry, Merkle paths. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  ConflictError, InsufficientCreditsError, NotAnchoredError, RateLimitedError, RenderTrustError, UnavailableError,
  ValidationError, proofVerifiesLocally, toRenderTrustError,
} from "../src/index.js";
import { expiryOf } from "../src/credentials.js";
import { ErrorInfoSchema } from "../src/gen/google/rpc/error_details_pb.js";

function withReason(code: Code, reason: string, metadata: Record<string, string> = {}): ConnectError {
  const info = create(ErrorInfoSchema, { reason, domain: "rendertrust.com", metadata });
  return new ConnectError("refused", code, undefined, [{ desc: ErrorInfoSchema, value: info }]);
}

describe("offline", () => {
  it("maps ErrorInfo reasons to typed errors with the REST status", () => {
    const credits = toRenderTrustError(withReason(Code.FailedPrecondition, "INSUFFICIENT_CREDITS",
      { available: "0.0000", requested: "10.0000" }));
    assert.ok(credits instanceof InsufficientCreditsError);
    assert.deepEqual([credits.httpStatus, credits.code, credits.available, credits.requested, credits.detail],
      [402, "FAILED_PRECONDITION", "0.0000", "10.0000", "refused"]);
    const limited = toRenderTrustError(withReason(Code.ResourceExhausted, "RATE_LIMITED", { retry_after_seconds: "7" }));
    assert.ok(limited instanceof RateLimitedError);
    assert.equal(limited.retryAfterSeconds, 7);
    assert.ok(toRenderTrustError(withReason(Code.FailedPrecondition, "NOT_ANCHORED")) instanceof NotAnchoredError);
    assert.ok(toRenderTrustError(withReason(Code.FailedPrecondition, "UPLOAD_IN_USE")) instanceof ConflictError);
    assert.ok(toRenderTrustError(withReason(Code.InvalidArgument, "QUOTA_EXCEEDED")) instanceof ValidationError);
  });

  it("falls back to the gRPC code without ErrorInfo, and to UnavailableError for network failures", () => {
    const deadline = toRenderTrustError(new ConnectError("slow", Code.DeadlineExceeded));
    assert.ok(deadline instanceof UnavailableError);
    assert.equal(deadline.reason, "DEADLINE_EXCEEDED");
    const network = toRenderTrustError(new ConnectError("connection refused", Code.Unavailable));
    assert.ok(network instanceof UnavailableError);
    assert.equal(network.httpStatus, 503);
    const odd = toRenderTrustError(new Error("boom"));
    assert.ok(odd instanceof RenderTrustError);
    assert.equal(odd.code, "UNKNOWN");
    assert.ok(anyPack); // the wkt entry point resolves (it carries the Any the details travel in)
  });

  it("reads a JWT's expiry without verifying it", () => {
    const payload = Buffer.from(JSON.stringify({ sub: "u", exp: 2_000_000_000 })).toString("base64url");
    assert.equal(expiryOf(`eyJhbGciOiJFZERTQSJ9.${payload}.sig`), 2_000_000_000_000);
    assert.equal(expiryOf("not-a-jwt"), undefined);
    assert.equal(expiryOf("a.%%%.c"), undefined);
  });

  it("checks an RFC 6962 Merkle path locally", async () => {
    const hash = async (...parts: Uint8Array[]) => {
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const part of parts) {
        joined.set(part, at);
        at += part.length;
      }
      return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
    };
    const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
    const leaves = await Promise.all(["a", "b", "c"].map((s) => hash(new Uint8Array([0]), new TextEncoder().encode(s))));
    const ab = await hash(new Uint8Array([1]), leaves[0]!, leaves[1]!);
    const root = await hash(new Uint8Array([1]), ab, leaves[2]!);
    const proofOfB = { leaf: hex(leaves[1]!), merkleRoot: hex(root), proofHashes: [hex(leaves[0]!), hex(leaves[2]!)],
      directions: ["left", "right"] };
    assert.equal(await proofVerifiesLocally(proofOfB), true);
    assert.equal(await proofVerifiesLocally({ ...proofOfB, directions: ["right", "right"] }), false);
    assert.equal(await proofVerifiesLocally({ ...proofOfB, proofHashes: [hex(leaves[0]!)] }), false);
    assert.equal(await proofVerifiesLocally({ ...proofOfB, leaf: "zz" }), false);
  });
});
