/** Presigned-URL transfers (uploads and downloads go straight to storage, not through the API) and waits. */
import { RenderTrustError, UnavailableError } from "./errors.js";

/** Headers every HTTP client sets itself. */
const CLIENT_SET_HEADERS = new Set(["host", "content-length", "connection", "expect"]);

export class Transfers {
  readonly #fetch: typeof fetch;

  constructor(fetchFunction: typeof fetch) {
    this.#fetch = fetchFunction;
  }

  /** GETs a presigned URL's bytes; a non-2xx answer or a network failure is UnavailableError. */
  async download(url: string, what: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const response = await this.#send(url, { method: "GET" }, `downloading ${what}`, timeoutMs, signal);
    if (!response.ok) {
      throw new UnavailableError("RESULT_DOWNLOAD_FAILED", "UNAVAILABLE",
        `downloading ${what} answered HTTP ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Sends `bytes` to a presigned upload URL with the headers the server named. */
  async upload(url: string, method: string, headers: Record<string, string>, bytes: Uint8Array, timeoutMs: number,
               signal: AbortSignal | undefined): Promise<void> {
    const sent = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      if (!CLIENT_SET_HEADERS.has(name.toLowerCase())) {
        sent.set(name, value);
      }
    }
    const response = await this.#send(url, { method: method || "PUT", headers: sent,
      body: bytes as Uint8Array<ArrayBuffer> }, "the upload PUT", timeoutMs, signal);
    if (!response.ok) {
      throw new UnavailableError(response.status === 413 ? "PAYLOAD_TOO_LARGE" : "UPLOAD_FAILED", "UNAVAILABLE",
        `the upload PUT answered HTTP ${response.status}`);
    }
  }

  async #send(url: string, init: RequestInit, what: string, timeoutMs: number,
              signal: AbortSignal | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await this.#fetch(url, { ...init, signal: signal ? anySignal([signal, timeout]) : timeout });
    } catch (error) {
      throw new UnavailableError("UNAVAILABLE", "UNAVAILABLE", `${what} failed: ${String(error)}`, {},
        { cause: error });
    }
  }
}

/** `value`, or an INTERNAL error naming the field the server's answer lacked. */
export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) {
    throw new RenderTrustError("INTERNAL", "INTERNAL", `the server's answer lacks ${field}`);
  }
  return value;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}
