/**
 * One job: its fields, live progress through WatchJob (each event re-reads the job; no polling),
 * "Download Result" once COMPLETED (a render's: the ZIP of all frames), the frame gallery with a
 * download per frame, and "Cancel" only while the job can still be cancelled.
 */
import { useEffect, useState } from "preact/hooks";
import type { Job, JobEvent, JobOutput } from "@rendertrust/sdk";
import { client, credits, describe, when } from "../api";
import { ErrorNote, PageTitle, StatusBadge, TERMINAL } from "../components";
import { Link } from "../router";

export function JobDetail({ jobId }: { jobId: string }) {
  const [job, setJob] = useState<Job>();
  const [events, setEvents] = useState<JobEvent[]>([]);
  const [outputs, setOutputs] = useState<JobOutput[]>([]);
  const [error, setError] = useState<string>();
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const stop = new AbortController();
    let lastSeq: bigint | undefined;
    async function refresh() {
      const fresh = await client.getJob(jobId, { signal: stop.signal });
      setJob(fresh);
      return fresh;
    }
    async function follow() {
      try {
        await refresh();
        // an ended job's stream replays its stored events and ends; a running one's goes on live.
        // The stream resumes after the last event seen if it breaks (e.g. a server restart)
        for (let attempt = 0; attempt < 5 && !stop.signal.aborted; attempt++) {
          try {
            for await (const event of client.watchJob(jobId, { signal: stop.signal, afterSeq: lastSeq })) {
              lastSeq = event.seq;
              setEvents((seen) => [...seen, event]);
              await refresh();
            }
            return;
          } catch (failure) {
            if (stop.signal.aborted) {
              return;
            }
            if (attempt === 4) {
              throw failure;
            }
            await new Promise((resolve) => setTimeout(resolve, 1_000 * (attempt + 1)));
          }
        }
      } catch (failure) {
        if (!stop.signal.aborted) {
          setError(describe(failure));
        }
      }
    }
    void follow();
    return () => stop.abort();
  }, [jobId]);

  const completed = job?.status === "COMPLETED";
  useEffect(() => {
    if (!completed) {
      return;
    }
    client.listJobOutputs(jobId).then((page) => setOutputs(page.outputs), () => setOutputs([]));
  }, [jobId, completed]);

  async function cancel() {
    setBusy(true);
    setActionError(undefined);
    try {
      setJob(await client.cancelJob(jobId));
    } catch (failure) {
      setActionError(describe(failure));
    } finally {
      setBusy(false);
    }
  }

  async function download() {
    setActionError(undefined);
    try {
      const result = await client.getJobResult(jobId);
      save(result.downloadUrl);
    } catch (failure) {
      setActionError(describe(failure));
    }
  }

  if (error && !job) {
    return <main><PageTitle>Job</PageTitle><ErrorNote error={error} /><Link href="/jobs">Back to Jobs</Link></main>;
  }
  if (!job) {
    return <main><PageTitle>Job</PageTitle><p class="muted">Loading…</p></main>;
  }
  const cancellable = !TERMINAL.has(job.status);
  const images = outputs.filter((output) => output.contentType.startsWith("image/") && output.contentType !== "image/x-exr");
  return (
    <main>
      <p><Link href="/jobs">← Jobs</Link></p>
      <div class="title-row">
        <PageTitle>{`Job ${job.id.slice(0, 8)}`}</PageTitle>
        <StatusBadge status={job.status} />
      </div>
      <ErrorNote error={error} />
      <div class="actions">
        {completed && <button type="button" onClick={() => void download()}>Download Result</button>}
        {cancellable && <button type="button" class="danger" disabled={busy} onClick={() => void cancel()}>Cancel</button>}
      </div>
      <ErrorNote error={actionError} />
      <progress max={1} value={completed ? 1 : job.progress} aria-label="Progress" class="wide" />
      <dl class="fields">
        <dt>ID</dt><dd><code>{job.id}</code></dd>
        <dt>Type</dt><dd>{job.jobType}</dd>
        <dt>Status</dt><dd data-testid="job-status">{job.status}</dd>
        <dt>Priority</dt><dd>{job.priority}</dd>
        <dt>Tier</dt><dd>{job.tier || "standard"}</dd>
        <dt>Node</dt><dd>{job.nodeId ? <code>{job.nodeId}</code> : "—"}</dd>
        {job.framesTotal > 1 && <><dt>Frames</dt><dd>{job.framesDone} of {job.framesTotal}</dd></>}
        <dt>Price</dt><dd>{credits(job.price)} credits{job.charged !== undefined ? ` (charged ${credits(job.charged)})` : ""}</dd>
        <dt>Payload</dt><dd>{job.payloadRef ? <code>{job.payloadRef}</code> : job.inputId ? `upload ${job.inputId}` : "JSON"}</dd>
        <dt>Retries</dt><dd>{job.retryCount}</dd>
        <dt>Created</dt><dd>{when(job.createdAt)}</dd>
        <dt>Completed</dt><dd>{when(job.completedAt)}</dd>
        {job.errorMessage && <><dt>Error</dt><dd class="error-text">{job.errorCode ? `${job.errorCode}: ` : ""}{job.errorMessage}</dd></>}
      </dl>
      {outputs.length > 1 && (
        <section aria-label="Frames">
          <h2>Frames</h2>
          <ul class="gallery">
            {outputs.map((output) => (
              <li key={output.name}>
                {images.includes(output) && <img src={output.downloadUrl} alt={`Frame ${output.frame}`} loading="lazy" />}
                <a href={output.downloadUrl} download={output.name} target={sameOrigin(output.downloadUrl) ? undefined : "_blank"} rel="noopener">Download frame {output.frame}</a>
              </li>
            ))}
          </ul>
        </section>
      )}
      {events.length > 0 && (
        <section aria-label="Events">
          <h2>Events</h2>
          <ol class="events" aria-live="polite">
            {events.map((event) => (
              <li key={String(event.seq)}>
                <code>{event.seq.toString()}</code> {event.type} <span class="muted">{event.status}</span>
                {event.message ? ` — ${event.message}` : ""}
              </li>
            ))}
          </ol>
        </section>
      )}
    </main>
  );
}

/**
 * Downloads a (presigned) URL as a file: through a download link when the server stores results
 * itself (same origin), else in a new tab (object stores answer with Content-Disposition), so that
 * this tab never navigates away from the app (which would end the in-memory session).
 */
function save(url: string): void {
  if (!sameOrigin(url)) {
    window.open(url, "_blank", "noopener");
    return;
  }
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  document.body.append(link);
  link.click();
  link.remove();
}

function sameOrigin(url: string): boolean {
  return new URL(url, window.location.href).origin === window.location.origin;
}
