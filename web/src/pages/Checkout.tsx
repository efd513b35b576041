/**
 * Where Stripe Checkout returns: /checkout/success and /checkout/cancel. Checkout runs in a tab
 * of its own (see Credits), so this page tells the app's tab, which still holds the session, to
 * re-read the balance; the credits themselves arrive with Stripe's webhook.
 */
import { useEffect } from "preact/hooks";
import { useSignal } from "../state";
import { signedIn } from "../api";
import { PageTitle } from "../components";
import { Link } from "../router";

export function checkoutChannel(): BroadcastChannel | undefined {
  return typeof BroadcastChannel === "undefined" ? undefined : new BroadcastChannel("rendertrust-checkout");
}

export function CheckoutSuccess({ sessionId }: { sessionId: string | null }) {
  const session = useSignal(signedIn);
  useEffect(() => {
    const channel = checkoutChannel();
    channel?.postMessage({ type: "checkout.completed", sessionId });
    channel?.close();
  }, [sessionId]);
  return (
    <main class="auth">
      <PageTitle>Payment successful</PageTitle>
      <p role="status">Thank you! Your credits appear in your Available Balance as soon as Stripe confirms the
        payment (usually within seconds).</p>
      {sessionId && <p class="muted">Checkout session <code>{sessionId}</code></p>}
      <p>{session ? <Link href="/credits">Go to Credits</Link>
        : <>You can close this tab and return to the app, or <Link href="/login">log in</Link> here.</>}</p>
    </main>
  );
}

export function CheckoutCancel() {
  const session = useSignal(signedIn);
  return (
    <main class="auth">
      <PageTitle>Payment cancelled</PageTitle>
      <p role="status">The checkout was cancelled; nothing was charged.</p>
      <p>{session ? <Link href="/credits">Back to Credits</Link>
        : <>You can close this tab and return to the app, or <Link href="/login">log in</Link> here.</>}</p>
    </main>
  );
}
