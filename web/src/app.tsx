/** The shell: the sidebar (Jobs, Credits, …) around the page of the current path; log in first. */
import { account, logOut, signedIn } from "./api";
import { useSignal } from "./state";
import { Link, navigate, useLocation } from "./router";
import { Login, Register } from "./pages/Auth";
import { Jobs } from "./pages/Jobs";
import { JobDetail } from "./pages/JobDetail";
import { SubmitJob } from "./pages/SubmitJob";
import { Credits } from "./pages/Credits";
import { CheckoutCancel, CheckoutSuccess } from "./pages/Checkout";
import { ApiKeys, Webhooks } from "./pages/Account";
import { Operator } from "./pages/Operator";

const SECTIONS = [
  { href: "/jobs", label: "Jobs" },
  { href: "/credits", label: "Credits" },
  { href: "/keys", label: "API Keys" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/operator", label: "Operator" },
];

export function App() {
  const session = useSignal(signedIn);
  const who = useSignal(account);
  const { pathname, query } = useLocation();

  if (pathname === "/checkout/success") {
    return <CheckoutSuccess sessionId={query.get("session_id")} />;
  }
  if (pathname === "/checkout/cancel") {
    return <CheckoutCancel />;
  }
  if (!session) {
    if (pathname === "/register") {
      return <Register />;
    }
    if (pathname !== "/login") {
      const next = pathname === "/" ? "" : `?next=${encodeURIComponent(pathname)}`;
      queueMicrotask(() => navigate(`/login${next}`, true));
    }
    return <Login next={query.get("next")} />;
  }
  if (pathname === "/" || pathname === "/login" || pathname === "/register") {
    queueMicrotask(() => navigate("/jobs", true));
    return null;
  }
  return (
    <div class="shell">
      <a class="skip" href="#page">Skip to content</a>
      <nav class="sidebar" aria-label="Sections">
        <p class="brand">RenderTrust</p>
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.href}>
              <Link href={section.href} aria-current={pathname.startsWith(section.href) ? "page" : undefined}>
                {section.label}
              </Link>
            </li>
          ))}
        </ul>
        <div class="who">
          {who && <p class="muted">{who.email}</p>}
          <button type="button" class="small" onClick={() => { logOut(); navigate("/login", true); }}>Log Out</button>
        </div>
      </nav>
      <div id="page" class="page">{page(pathname)}</div>
    </div>
  );
}

function page(pathname: string) {
  if (pathname === "/jobs") return <Jobs />;
  if (pathname === "/jobs/new") return <SubmitJob />;
  const job = /^\/jobs\/([^/]+)$/.exec(pathname);
  if (job?.[1]) return <JobDetail key={job[1]} jobId={decodeURIComponent(job[1])} />;
  if (pathname === "/credits") return <Credits />;
  if (pathname === "/keys") return <ApiKeys />;
  if (pathname === "/webhooks") return <Webhooks />;
  if (pathname === "/operator") return <Operator />;
  return (
    <main>
      <h1>Page not found</h1>
      <p>There is no page at <code>{pathname}</code>. <Link href="/jobs">Go to Jobs</Link></p>
    </main>
  );
}
