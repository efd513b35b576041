/** History-API routing: paths are the app's pages (the server answers index.html for each). */
import type { ComponentChildren, JSX } from "preact";
import { signal, useSignal } from "./state";

const path = signal(window.location.pathname + window.location.search);
window.addEventListener("popstate", () => path.set(window.location.pathname + window.location.search));

export function navigate(to: string, replace = false): void {
  if (replace) {
    window.history.replaceState(null, "", to);
  } else {
    window.history.pushState(null, "", to);
  }
  path.set(window.location.pathname + window.location.search);
  window.scrollTo(0, 0);
}

/** The current path and query, e.g. "/jobs/abc" or "/checkout/success?session_id=cs_1". */
export function useLocation(): { pathname: string; query: URLSearchParams } {
  const current = useSignal(path);
  const url = new URL(current, window.location.origin);
  return { pathname: url.pathname, query: url.searchParams };
}

type LinkProps = { href: string; children: ComponentChildren } & Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href">;

/** An ordinary link (open in a new tab still works) that navigates within the app on a plain click. */
export function Link({ href, children, ...rest }: LinkProps) {
  return (
    <a {...rest} href={href} onClick={(event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
        return;
      }
      event.preventDefault();
      navigate(href);
    }}>{children}</a>
  );
}
