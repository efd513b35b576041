/** Small pieces the pages share. */
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { Link } from "./router";

export const STATUSES = ["QUEUED", "DISPATCHED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
export const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** A job status by its name, coloured as the seed guide describes (yellow, blue, green, red). */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status.toLowerCase()}`}>{status}</span>;
}

/** An error from the server (or the form), in words, announced to screen readers. */
export function ErrorNote({ error }: { error: string | undefined }) {
  if (!error) {
    return null;
  }
  return <p class="note error" role="alert">{error}</p>;
}

/** The 402 warning: not enough credits, with the way to get more. */
export function CreditsWarning({ message }: { message: string }) {
  return (
    <div class="note warning" role="alert" data-testid="insufficient-credits">
      <strong>Insufficient credits.</strong> {message.replace(/^Insufficient credits\.\s*/, "")}{" "}
      <Link href="/credits">Go to Credits</Link>
    </div>
  );
}

export function Card({ title, children, class: extra }: { title: string; children: ComponentChildren; class?: string }) {
  return (
    <section class={`card ${extra ?? ""}`} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

/** Moves focus to the page's heading when the page changes (screen readers and keyboards follow). */
export function PageTitle({ children }: { children: string }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · RenderTrust`;
    heading.current?.focus();
  }, [children]);
  return <h1 tabIndex={-1} ref={heading}>{children}</h1>;
}

/** Calls `tick` every `ms` while `active`, and once at once. */
export function useInterval(tick: () => void, ms: number, active: boolean): void {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) {
      return;
    }
    const id = window.setInterval(() => saved.current(), ms);
    return () => window.clearInterval(id);
  }, [ms, active]);
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}
