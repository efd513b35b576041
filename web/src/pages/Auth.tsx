/** Log In and Create Account (the seed guide: Email, Name, Password of at least 8 characters → Register). */
import { useState } from "preact/hooks";
import { account, client, describe } from "../api";
import { ErrorNote, PageTitle } from "../components";
import { Link, navigate } from "../router";

export const MIN_PASSWORD = 8;

/** Where to go after logging in: the page asked for (only a path of this app), else Jobs. */
function destination(next: string | null | undefined): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/jobs";
}

export function Login({ next }: { next?: string | null | undefined }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await client.login(email.trim(), password);
      account.set({ email: email.trim(), name: "" });
      navigate(destination(next), true);
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="auth">
      <PageTitle>Log In</PageTitle>
      <form onSubmit={submit} class="form">
        <label for="login-email">Email</label>
        <input id="login-email" type="email" autocomplete="username" required value={email}
          onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="login-password">Password</label>
        <input id="login-password" type="password" autocomplete="current-password" required value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>{busy ? "Logging in…" : "Log In"}</button>
      </form>
      <p>No account yet? <Link href="/register">Create Account</Link></p>
    </main>
  );
}

export function Register() {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function submit(event: Event) {
    event.preventDefault();
    if (password.length < MIN_PASSWORD) {
      setError(`Password must be at least ${MIN_PASSWORD} characters.`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const created = await client.register(email.trim(), password, name.trim());
      account.set({ email: created.user?.email ?? email.trim(), name: created.user?.name ?? name.trim() });
      navigate("/jobs", true);
    } catch (failure) {
      setError(describe(failure));
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="auth">
      <PageTitle>Create Account</PageTitle>
      <form onSubmit={submit} class="form">
        <label for="register-email">Email</label>
        <input id="register-email" type="email" autocomplete="email" required value={email}
          onInput={(e) => setEmail(e.currentTarget.value)} />
        <label for="register-name">Name</label>
        <input id="register-name" autocomplete="name" required value={name}
          onInput={(e) => setName(e.currentTarget.value)} />
        <label for="register-password">Password</label>
        <input id="register-password" type="password" autocomplete="new-password" required
          aria-describedby="register-password-hint" value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        <small id="register-password-hint">At least {MIN_PASSWORD} characters.</small>
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>{busy ? "Registering…" : "Register"}</button>
      </form>
      <p>Already registered? <Link href="/login">Log In</Link></p>
    </main>
  );
}
