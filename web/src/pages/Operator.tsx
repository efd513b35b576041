/** For node operators: their nodes (status, load, work done, earned) and their earnings (OperatorService). */
import { useEffect, useState } from "preact/hooks";
import { OperatorService, type GetOperatorEarningsResponse, type OperatorNode } from "@rendertrust/sdk/gen/rendertrust/v1/operator_service_pb";
import { credits, describe, rpc, when } from "../api";
import { Card, ErrorNote, PageTitle, shortId } from "../components";

export function Operator() {
  const [nodes, setNodes] = useState<OperatorNode[]>();
  const [earnings, setEarnings] = useState<GetOperatorEarningsResponse>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    rpc(OperatorService, (c, headers) => c.listOperatorNodes({}, { headers }))
      .then((page) => setNodes(page.nodes), (failure) => setError(describe(failure)));
    rpc(OperatorService, (c, headers) => c.getOperatorEarnings({ limit: 50, offset: 0 }, { headers }))
      .then(setEarnings, (failure) => setError(describe(failure)));
  }, []);
  return (
    <main>
      <PageTitle>Operator</PageTitle>
      <ErrorNote error={error} />
      <div class="grid">
        <Card title="Earnings Balance"><p class="big">{earnings ? credits(earnings.balance) : "…"}</p><p class="muted">credits</p></Card>
        <Card title="Total Earned"><p class="big">{earnings ? credits(earnings.totalEarned) : "…"}</p></Card>
        <Card title="Paid Out"><p class="big">{earnings ? credits(earnings.paidOut) : "…"}</p></Card>
      </div>
      <Card title="Your Nodes">
        {nodes === undefined ? <p class="muted">Loading…</p> : nodes.length === 0 ? (
          <p class="muted">No nodes registered with this account. Register one with the node agent (docs/node-agent.md).</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Capabilities</th>
                <th scope="col">Slots</th><th scope="col">Active</th><th scope="col">Tasks done</th>
                <th scope="col">Earned</th><th scope="col">Last heartbeat</th></tr></thead>
              <tbody>
                {nodes.map((node) => (
                  <tr key={node.id}>
                    <td>{node.name || shortId(node.id)}</td>
                    <td><span class={`badge node-${node.status.toLowerCase()}`}>{node.status}</span></td>
                    <td>{node.capabilities.join(", ")}</td><td class="num">{node.slots}</td>
                    <td class="num">{node.activeJobs}</td><td class="num">{node.tasksCompleted}</td>
                    <td class="num">{credits(node.earned)}</td><td>{when(node.lastHeartbeatAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Recent Earnings">
        {!earnings || earnings.entries.length === 0 ? <p class="muted">No earnings yet.</p> : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Date</th><th scope="col">Amount</th><th scope="col">Job</th><th scope="col">Node</th></tr></thead>
              <tbody>
                {earnings.entries.map((entry, i) => (
                  <tr key={`${entry.jobId}-${i}`}>
                    <td>{when(entry.createdAt)}</td><td class="num">+{credits(entry.amount)}</td>
                    <td><code>{shortId(entry.jobId)}</code></td><td>{entry.nodeId ? <code>{shortId(entry.nodeId)}</code> : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </main>
  );
}
