/**
 * The RenderTrust client for browsers: gRPC-Web through @connectrpc/connect-web (fetch), the
 * same port as REST. Tokens stay in memory; pass `onTokens` to learn when they change.
 *
 *     import { RenderTrustClient } from "@rendertrust/sdk/web";
 *     const client = new RenderTrustClient({ baseUrl: window.location.origin });
 */
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { RenderTrustClient as BaseClient, type RenderTrustClientOptions } from "./client.js";

export * from "./index.js";

export interface WebClientOptions extends Omit<RenderTrustClientOptions, "transport"> {
  /** The server, e.g. "http://localhost:8000"; default: the page's origin. */
  baseUrl?: string | undefined;
}

/** {@link BaseClient} over gRPC-Web (binary format). */
export class RenderTrustClient extends BaseClient {
  readonly baseUrl: string;

  constructor(options: WebClientOptions = {}) {
    const baseUrl = options.baseUrl ?? globalThis.location?.origin ?? "http://localhost:8000";
    super({ ...options, transport: createGrpcWebTransport({ baseUrl, useBinaryFormat: true }) });
    this.baseUrl = baseUrl;
  }
}
