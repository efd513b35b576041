/** What the client authenticates with: nothing, a token pair, or an API key. */

/** A session's tokens, as register, login and refresh answer them. */
export interface Tokens {
  accessToken: string;
  refreshToken?: string | undefined;
}

export class Credentials {
  #access: string | undefined;
  #refresh: string | undefined;
  #apiKey: string | undefined;
  #expiresAtMs: number | undefined;

  useTokens(accessToken: string, refreshToken?: string): void {
    this.#access = accessToken;
    this.#refresh = refreshToken;
    this.#apiKey = undefined;
    this.#expiresAtMs = expiryOf(accessToken);
  }

  useApiKey(apiKey: string): void {
    this.#apiKey = apiKey;
    this.#access = this.#refresh = this.#expiresAtMs = undefined;
  }

  clear(): void {
    this.#access = this.#refresh = this.#apiKey = this.#expiresAtMs = undefined;
  }

  get refreshToken(): string | undefined {
    return this.#refresh;
  }

  get tokens(): Tokens | undefined {
    return this.#access === undefined ? undefined : { accessToken: this.#access, refreshToken: this.#refresh };
  }

  /** When the access token expires (ms since the epoch), read from its `exp` claim. */
  get expiresAtMs(): number | undefined {
    return this.#expiresAtMs;
  }

  /** Only for tests: pretend the access token expires at another time. */
  set expiresAtMs(value: number | undefined) {
    this.#expiresAtMs = value;
  }

  expiresWithin(ms: number): boolean {
    return this.#expiresAtMs !== undefined && this.#expiresAtMs - ms < Date.now();
  }

  /** The headers that authenticate a call: `x-api-key`, or `authorization: Bearer …`, or none. */
  headers(): Record<string, string> {
    if (this.#apiKey !== undefined) {
      return { "x-api-key": this.#apiKey };
    }
    if (this.#access !== undefined) {
      return { authorization: `Bearer ${this.#access}` };
    }
    return {};
  }
}

/** The `exp` claim of a JWT in ms, read without verifying it: only to schedule a refresh. */
export function expiryOf(jwt: string): number | undefined {
  const parts = jwt.split(".");
  if (parts.length < 2 || !parts[1]) {
    return undefined;
  }
  try {
    const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64 + "=".repeat((4 - base64.length % 4) % 4)),
      (c) => c.charCodeAt(0)));
    const exp: unknown = JSON.parse(json)?.exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
