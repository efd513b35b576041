/** API Keys and Webhooks: the creator's credentials for scripts and the endpoints told about job events. */
import { useEffect, useState } from "preact/hooks";
import type { ApiKey } from "@rendertrust/sdk";
import { WebhookEndpointService, type WebhookEndpoint } from "@rendertrust/sdk/gen/rendertrust/v1/creator_webhook_service_pb";
import { client, describe, rpc, when } from "../api";
import { Card, ErrorNote, PageTitle } from "../components";

export function ApiKeys() {
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [name, setName] = useState("");
  const [secret, setSecret] = useState<string>();
  const [error, setError] = useState<string>();
  const load = () => client.listApiKeys().then(setKeys, (failure) => setError(describe(failure)));
  useEffect(() => void load(), []);

  async function create(event: Event) {
    event.preventDefault();
    setError(undefined);
    try {
      const created = await client.createApiKey(name.trim());
      setSecret(created.key);
      setName("");
      await load();
    } catch (failure) {
      setError(describe(failure));
    }
  }
  async function revoke(key: ApiKey) {
    setError(undefined);
    try {
      await client.revokeApiKey(key.id);
      await load();
    } catch (failure) {
      setError(describe(failure));
    }
  }
  return (
    <main>
      <PageTitle>API Keys</PageTitle>
      <Card title="Create API Key">
        <form class="form inline" onSubmit={create}>
          <label for="key-name">Key name</label>
          <input id="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit">Create Key</button>
        </form>
        {secret && (
          <p class="note success" role="status">
            Your new key (shown only this once; copy it now): <code data-testid="new-api-key">{secret}</code>
          </p>
        )}
        <ErrorNote error={error} />
      </Card>
      <Card title="Your Keys">
        {keys.length === 0 ? <p class="muted">No API keys yet.</p> : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Created</th>
                <th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {keys.map((key) => (
                  <tr key={key.id}>
                    <td>{key.name}</td><td><code>{key.prefix}…</code></td><td>{when(key.createdAt)}</td>
                    <td>{when(key.lastUsedAt)}</td>
                    <td>{key.revokedAt ? <span class="badge status-cancelled">revoked</span> : <span class="badge status-completed">active</span>}</td>
                    <td>{!key.revokedAt && <button type="button" class="small danger" aria-label={`Revoke key ${key.name}`}
                      onClick={() => void revoke(key)}>Revoke</button>}</td>
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

const EVENT_TYPES = ["job.completed", "job.failed", "job.cancelled", "job.created", "task.completed", "task.failed"];

export function Webhooks() {
  const [endpoints, setEndpoints] = useState<WebhookEndpoint[]>([]);
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<string[]>(["job.completed", "job.failed"]);
  const [secret, setSecret] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const load = () => rpc(WebhookEndpointService, (c, headers) => c.listWebhookEndpoints({}, { headers }))
    .then((page) => setEndpoints(page.endpoints), (failure) => setError(describe(failure)));
  useEffect(() => void load(), []);

  async function act(what: () => Promise<unknown>) {
    setError(undefined);
    setNotice(undefined);
    try {
      await what();
      await load();
    } catch (failure) {
      setError(describe(failure));
    }
  }
  const create = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const created = await rpc(WebhookEndpointService, (c, headers) =>
        c.createWebhookEndpoint({ url: url.trim(), events, description: description.trim() }, { headers }));
      setSecret(created.secret);
      setUrl("");
      setDescription("");
    });
  };
  return (
    <main>
      <PageTitle>Webhooks</PageTitle>
      <Card title="Add Endpoint">
        <form class="form" onSubmit={create}>
          <label for="webhook-url">Endpoint URL</label>
          <input id="webhook-url" type="url" required placeholder="https://example.com/rendertrust" value={url}
            onInput={(e) => setUrl(e.currentTarget.value)} />
          <label for="webhook-description">Description</label>
          <input id="webhook-description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          <fieldset>
            <legend>Events</legend>
            {EVENT_TYPES.map((type) => (
              <div class="toggle" key={type}>
                <input id={`webhook-event-${type}`} type="checkbox" checked={events.includes(type)}
                  onChange={(e) => setEvents(e.currentTarget.checked ? [...events, type] : events.filter((t) => t !== type))} />
                <label for={`webhook-event-${type}`}>{type}</label>
              </div>
            ))}
          </fieldset>
          <button type="submit">Add Endpoint</button>
        </form>
        {secret && <p class="note success" role="status">Signing secret (shown only this once): <code>{secret}</code></p>}
        {notice && <p class="note info" role="status">{notice}</p>}
        <ErrorNote error={error} />
      </Card>
      <Card title="Endpoints">
        {endpoints.length === 0 ? <p class="muted">No endpoints yet.</p> : (
          <ul class="endpoints">
            {endpoints.map((endpoint) => (
              <li key={endpoint.id}>
                <code>{endpoint.url}</code> <span class="muted">{endpoint.events.join(", ")}</span>
                {endpoint.description && <span> · {endpoint.description}</span>}
                <div class="actions">
                  <button type="button" class="small" onClick={() => void act(async () => {
                    await rpc(WebhookEndpointService, (c, headers) => c.sendTestWebhook({ id: endpoint.id }, { headers }));
                    setNotice(`A webhook.test event is on its way to ${endpoint.url}.`);
                  })}>Send Test</button>
                  <button type="button" class="small" onClick={() => void act(async () => {
                    const rotated = await rpc(WebhookEndpointService, (c, headers) => c.rotateWebhookSecret({ id: endpoint.id }, { headers }));
                    setSecret(rotated.secret);
                  })}>Rotate Secret</button>
                  <button type="button" class="small danger" onClick={() => void act(() =>
                    rpc(WebhookEndpointService, (c, headers) => c.deleteWebhookEndpoint({ id: endpoint.id }, { headers })))}>
                    Delete
                  </button>
                </div>
              </li>
            ))}
          </ul>
        )}
      </Card>
    </main>
  );
}
