/**
 * The app's one client of the control plane: @rendertrust/sdk over gRPC-Web on the page's own
 * origin. The session's tokens live only in this client's memory (the SDK refreshes the access
 * token before it expires); nothing secret is written to localStorage or cookies, so a reload
 * asks to log in again.
 */
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import {
  RenderTrustClient, RenderTrustError, InsufficientCreditsError, toRenderTrustError, type Tokens,
} from "@rendertrust/sdk";
import { signal } from "./state";

export const transport = createGrpcWebTransport({ baseUrl: window.location.origin, useBinaryFormat: true });

/** Whether a session is open; pages re-render when it changes. */
export const signedIn = signal(false);
/** Who is logged in, as register/login told us (for the sidebar). */
export const account = signal<{ email: string; name: string } | undefined>(undefined);

export const client = new RenderTrustClient({
  transport,
  onTokens: (tokens: Tokens | undefined) => signedIn.set(tokens !== undefined),
});

/**
 * Clients of services the SDK has no calls for yet (usage, estimates, webhooks, operators),
 * called with the session's headers; an expired access token is refreshed and the call retried
 * once, as the SDK does for its own calls. Errors become the SDK's typed errors.
 */
export async function rpc<S extends DescService, T>(service: S, call: (c: Client<S>, headers: Record<string, string>) => Promise<T>): Promise<T> {
  const raw = createClient(service, transport);
  try {
    return await call(raw, client.credentials.headers());
  } catch (error) {
    const typed = toRenderTrustError(error);
    if (typed.code !== "UNAUTHENTICATED" || client.credentials.refreshToken === undefined) {
      throw typed;
    }
    await client.refresh();
    try {
      return await call(raw, client.credentials.headers());
    } catch (again) {
      throw toRenderTrustError(again);
    }
  }
}

/** What went wrong, in words a person can act on. */
export function describe(error: unknown): string {
  if (error instanceof InsufficientCreditsError) {
    const requested = error.requested ? credits(error.requested) : "";
    const needs = requested ? ` This needs ${requested} credit${requested === "1" ? "" : "s"}` : "";
    const has = error.available ? `, you have ${credits(error.available)}.` : ".";
    return `Insufficient credits.${needs}${needs ? has : ""} Buy more on the Credits page.`;
  }
  if (error instanceof RenderTrustError) {
    const words = WORDS[error.reason];
    const detail = error.detail && error.detail !== error.reason && error.detail !== error.code ? error.detail : "";
    if (words) {
      return detail ? `${words} (${detail})` : words;
    }
    return detail ? capitalize(detail) : `The server answered ${error.reason.toLowerCase().replace(/_/g, " ")}.`;
  }
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}

const WORDS: Record<string, string> = {
  INVALID_CREDENTIALS: "Wrong email or password.",
  EMAIL_TAKEN: "An account with this email already exists.",
  RATE_LIMITED: "Too many attempts; wait a minute and try again.",
  NO_HEALTHY_NODE: "No healthy node offers this job type right now; try again later.",
  JOB_NOT_CANCELLABLE: "This job can no longer be cancelled.",
  RESULT_NOT_AVAILABLE: "The result is not available (yet).",
  PAYMENTS_NOT_CONFIGURED: "Payments are not configured on this server.",
  DEPENDENCY_UNAVAILABLE: "A service the server depends on is unreachable; try again shortly.",
  UNAVAILABLE: "The server cannot be reached; check your connection and try again.",
  DEADLINE_EXCEEDED: "The server took too long to answer; try again.",
  TOKEN_INVALID: "Your session has ended; please log in again.",
  TOKEN_REVOKED: "Your session has ended; please log in again.",
  NOT_ANCHORED: "Not anchored on chain yet.",
};

function capitalize(text: string): string {
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** "100.0000" → "100", "2.5000" → "2.5" (credits are decimal strings with four places). */
export function credits(amount: string | undefined): string {
  if (amount === undefined || amount === "") {
    return "0";
  }
  const [whole, fraction = ""] = amount.split(".");
  const trimmed = fraction.replace(/0+$/, "");
  const grouped = (whole ?? "0").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return trimmed ? `${grouped}.${trimmed}` : grouped;
}

export function dollars(cents: number, currency = "usd"): string {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() }).format(cents / 100);
}

export function when(timestamp: string | undefined): string {
  if (!timestamp) {
    return "—";
  }
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleString();
}

export function logOut(): void {
  client.logout().catch(() => undefined);
  account.set(undefined);
}
