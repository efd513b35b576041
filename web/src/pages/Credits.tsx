/**
 * Credits (the seed guide): the Available Balance card, the 7-day usage chart, Buy Credits with
 * the server's packages ("Buy Now" → Stripe Checkout in a new tab, so this tab keeps its
 * in-memory session), and the transaction history with purchase / deduction / refund badges and
 * each entry's ledger proof ("verified on chain").
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { RenderTrustClient, type CreditPackage, type LedgerEntry } from "@rendertrust/sdk";
import { CreditService, type UsageDay } from "@rendertrust/sdk/gen/rendertrust/v1/credit_service_pb";
import { client, credits, describe, dollars, rpc, when } from "../api";
import { Card, ErrorNote, PageTitle, useInterval } from "../components";
import { UsageChart } from "../UsageChart";
import { checkoutChannel } from "./Checkout";

/** The seed guide's badge names of the ledger's sources. */
const BADGES: Record<string, string> = {
  PURCHASE: "purchase", USAGE: "deduction", REFUND: "refund", ADJUSTMENT: "adjustment", PAYOUT: "payout",
  DEPOSIT: "deposit",
};
/** After a checkout starts, the balance is re-read this often until the purchase arrives. */
const WAIT_FOR_PURCHASE_MS = 2_000;
const GIVE_UP_WAITING_MS = 5 * 60_000;

export function Credits() {
  const [balance, setBalance] = useState<string>();
  const [packages, setPackages] = useState<CreditPackage[]>([]);
  const [history, setHistory] = useState<LedgerEntry[]>([]);
  const [usage, setUsage] = useState<UsageDay[]>([]);
  const [error, setError] = useState<string>();
  const [checkoutError, setCheckoutError] = useState<string>();
  const [waitingSince, setWaitingSince] = useState<number>();
  const [notice, setNotice] = useState<string>();
  /** The balance when a checkout started; a different one means the purchase arrived. */
  const balanceAtCheckout = useRef<string>();

  async function load() {
    try {
      const [b, h, u] = await Promise.all([client.getBalance(), client.getCreditHistory({ limit: 50 }),
        rpc(CreditService, (c, headers) => c.getUsage({ days: 7 }, { headers }))]);
      if (balanceAtCheckout.current !== undefined && b.balance !== balanceAtCheckout.current) {
        balanceAtCheckout.current = undefined;
        setWaitingSince(undefined);
        setNotice(`Payment confirmed: your balance is now ${credits(b.balance)} credits.`);
      }
      setBalance(b.balance);
      setHistory(h.entries);
      setUsage(u.days);
      setError(undefined);
    } catch (failure) {
      setError(describe(failure));
    }
  }

  useEffect(() => {
    void load();
    client.listPackages().then(setPackages, (failure) => setError(describe(failure)));
    const channel = checkoutChannel();
    if (channel) {
      channel.onmessage = () => void load();
    }
    return () => channel?.close();
  }, []);
  useInterval(() => {
    if (waitingSince !== undefined && Date.now() - waitingSince > GIVE_UP_WAITING_MS) {
      balanceAtCheckout.current = undefined;
      setWaitingSince(undefined);
      setNotice("No payment has arrived yet. If you paid, it appears here once Stripe confirms it.");
    }
    void load();
  }, WAIT_FOR_PURCHASE_MS, waitingSince !== undefined);

  async function buy(pack: CreditPackage) {
    setCheckoutError(undefined);
    // Opened at once, within the click, so that no popup blocker stops it; sent to Stripe below.
    const tab = window.open("", "_blank");
    if (tab) {
      tab.opener = null;
    }
    try {
      const checkout = await client.createCheckout(pack.id);
      balanceAtCheckout.current = balance ?? "0.0000";
      setWaitingSince(Date.now());
      setNotice("Complete the payment on Stripe's page; your credits appear here once Stripe confirms it.");
      if (tab) {
        tab.location.href = checkout.checkoutUrl;
      } else {
        window.location.assign(checkout.checkoutUrl);
      }
    } catch (failure) {
      tab?.close();
      setCheckoutError(describe(failure));
    }
  }

  return (
    <main>
      <PageTitle>Credits</PageTitle>
      <ErrorNote error={error} />
      {notice && <p class="note info" role="status">{notice}</p>}
      <div class="grid">
        <Card title="Available Balance" class="balance">
          <p class="big" data-testid="balance">{balance === undefined ? "…" : credits(balance)}</p>
          <p class="muted">credits</p>
        </Card>
        <Card title="Usage (last 7 days)">
          {usage.length > 0 ? <UsageChart days={usage} /> : <p class="muted">No usage yet.</p>}
        </Card>
      </div>
      <Card title="Buy Credits">
        <ErrorNote error={checkoutError} />
        <ul class="packages">
          {packages.map((pack) => (
            <li key={pack.id} class="package">
              <h3>{credits(pack.credits)} credits</h3>
              <p class="price">{dollars(pack.priceCents, pack.currency)}</p>
              <p class="muted">
                ${(pack.priceCents / 100 / Number(pack.credits)).toFixed(3)}/credit
              </p>
              <button type="button" onClick={() => void buy(pack)}
                aria-label={`Buy Now: ${credits(pack.credits)} credits for ${dollars(pack.priceCents, pack.currency)}`}>
                Buy Now
              </button>
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Transaction History">
        <History entries={history} />
      </Card>
    </main>
  );
}

function History({ entries }: { entries: LedgerEntry[] }) {
  if (entries.length === 0) {
    return <p class="muted">No transactions yet.</p>;
  }
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr><th scope="col">Date</th><th scope="col">Type</th><th scope="col">Amount</th>
            <th scope="col">Balance</th><th scope="col">Description</th><th scope="col">Transaction ID</th>
            <th scope="col">On chain</th></tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td>{when(entry.createdAt)}</td>
              <td><span class={`badge source-${entry.source.toLowerCase()}`}>{BADGES[entry.source] ?? entry.source.toLowerCase()}</span></td>
              <td class="num">{entry.direction === "DEBIT" ? "−" : "+"}{credits(entry.amount)}</td>
              <td class="num">{credits(entry.balanceAfter)}</td>
              <td>{entry.description ?? ""}</td>
              <td><code>{entry.id}</code></td>
              <td><Proof entryId={entry.id} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The entry's Merkle proof checked in the browser (RFC 6962) and the server's comparison with the chain. */
function Proof({ entryId }: { entryId: string }) {
  const [state, setState] = useState<"idle" | "checking" | "verified" | "pending" | "failed">("idle");
  const [error, setError] = useState<string>();
  async function verify() {
    setState("checking");
    setError(undefined);
    try {
      const proof = await client.getProof(entryId);
      const local = await RenderTrustClient.proofVerifiesLocally(proof);
      const onChain = await client.verifyEntry(entryId);
      setState(local && onChain.verified ? "verified" : "failed");
      if (!(local && onChain.verified)) {
        setError(local ? "The root on chain differs from this entry's batch." : "The proof does not lead to its root.");
      }
    } catch (failure) {
      const words = describe(failure);
      if (words.startsWith("Not anchored")) {
        setState("pending");
      } else {
        setState("failed");
        setError(words);
      }
    }
  }
  if (state === "verified") {
    return <span class="badge verified">verified on chain</span>;
  }
  return (
    <span>
      {state === "pending" && <span class="muted">not anchored yet · </span>}
      {error && <span class="error-text" role="alert">{error} </span>}
      <button type="button" class="small" disabled={state === "checking"} onClick={() => void verify()}
        aria-label={`Verify transaction ${entryId} on chain`}>
        {state === "checking" ? "Verifying…" : "Verify"}
      </button>
    </span>
  );
}
