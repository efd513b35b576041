/**
 * The RenderTrust client for Node (>= 20): gRPC over HTTP/2 (h2c for http://, TLS for https://)
 * through @connectrpc/connect-node, plus file-based downloads and uploads.
 *
 *     import { RenderTrustClient } from "@rendertrust/sdk/node";
 *     const client = new RenderTrustClient({ baseUrl: "http://localhost:8000" });
 */
import { basename, dirname, join } from "node:path";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  type CallOptions, RenderTrustClient as BaseClient, type RenderTrustClientOptions,
} from "./client.js";
import type { Upload } from "./gen/rendertrust/v1/upload_service_pb.js";

export * from "./index.js";

export interface NodeClientOptions extends Omit<RenderTrustClientOptions, "transport"> {
  /** The server, e.g. "http://localhost:8000" (the default). */
  baseUrl?: string | undefined;
}

/** {@link BaseClient} over gRPC (HTTP/2); `close()` ends its HTTP/2 session. */
export class RenderTrustClient extends BaseClient {
  readonly baseUrl: string;
  readonly #session: Http2SessionManager;

  constructor(options: NodeClientOptions = {}) {
    const baseUrl = checkedBaseUrl(options.baseUrl ?? "http://localhost:8000");
    const session = new Http2SessionManager(baseUrl, { idleConnectionTimeoutMs: 60_000 });
    super({ ...options, transport: createGrpcTransport({ baseUrl, sessionManager: session }) });
    this.baseUrl = baseUrl;
    this.#session = session;
  }

  /**
   * Downloads a COMPLETED job's result to `outputPath` (default: the job id in the current
   * directory), written to a temporary file beside it and renamed; resolves to the path.
   */
  async downloadResult(jobId: string, outputPath?: string, options?: CallOptions): Promise<string> {
    const target = outputPath ?? jobId;
    const bytes = await this.downloadResultBytes(jobId, options);
    const work = await mkdtemp(join(dirname(target), ".download-"));
    try {
      const partial = join(work, "result.part");
      await writeFile(partial, bytes);
      await rename(partial, target);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return target;
  }

  /**
   * Downloads every delivered output of a job (a render: one file per frame) into `directory`
   * (created if missing) under its listed name, each checked against its SHA-256 before it is
   * written; resolves to the paths in frame order. For one ZIP of all frames: downloadResult.
   */
  async downloadFrames(jobId: string, directory: string, options?: CallOptions): Promise<string[]> {
    const { outputs } = await this.listJobOutputs(jobId, options);
    await mkdir(directory, { recursive: true });
    const paths: string[] = [];
    for (const output of outputs) {
      if (!output.name || output.name !== basename(output.name) || output.name === "..") {
        throw new Error(`the server listed an output name that is not a file name: ${output.name}`);
      }
      const target = join(directory, output.name);
      await writeFile(target, await this.downloadOutput(output, options));
      paths.push(target);
    }
    return paths;
  }

  /** Uploads a file (see {@link BaseClient.upload}); resolves to the READY upload. */
  async uploadFile(path: string, options: CallOptions & { contentType?: string } = {}): Promise<Upload> {
    return this.upload(await readFile(path), { ...options, filename: basename(path) });
  }

  override close(): void {
    this.#session.abort();
  }
}

function checkedBaseUrl(baseUrl: string): string {
  const url = new URL(baseUrl.includes("://") ? baseUrl : `http://${baseUrl}`);
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    throw new TypeError(`baseUrl must be http(s)://host[:port], not ${baseUrl}`);
  }
  return url.origin;
}
