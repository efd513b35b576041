/**
 * Submit Job (the seed guide): Job Type, Payload (a reference URI or JSON), Priority and GPU
 * Required; beyond it, the tier, a scene upload with a frame range for renders, and a live
 * estimate (EstimateJob: price, available credits, eligible nodes) while the form is filled in.
 * A 402 shows the warning that points to Credits.
 */
import { useEffect, useState } from "preact/hooks";
import type { JsonObject } from "@bufbuild/protobuf";
import { InsufficientCreditsError } from "@rendertrust/sdk";
import { JobService } from "@rendertrust/sdk/gen/rendertrust/v1/job_service_pb";
import { JobPricingService, type EstimateJobResponse } from "@rendertrust/sdk/gen/rendertrust/v1/job_pricing_service_pb";
import { client, credits, describe, rpc } from "../api";
import { CreditsWarning, ErrorNote, PageTitle } from "../components";
import { Link } from "../router";

const JOB_TYPES = ["render", "inference", "generic", "echo", "cpu_benchmark"];
const ESTIMATE_DELAY_MS = 400;

interface Draft {
  jobType: string;
  payload: string;
  priority: string;
  gpuRequired: boolean;
  tier: string;
  frameStart: string;
  frameEnd: string;
}

interface Request {
  jobType: string;
  payload?: JsonObject | undefined;
  payloadRef?: string | undefined;
  inputId?: string | undefined;
  priority: string;
  gpuRequired: boolean;
  tier: string;
}

/** The request a draft stands for, or the reason it cannot be sent. */
function requestOf(draft: Draft, inputId?: string): { request?: Request; problem?: string } {
  const text = draft.payload.trim();
  let payload: JsonObject | undefined;
  let payloadRef: string | undefined;
  if (text.startsWith("{")) {
    try {
      payload = JSON.parse(text) as JsonObject;
    } catch (error) {
      return { problem: `The payload is not valid JSON: ${(error as Error).message}` };
    }
  } else if (text) {
    payloadRef = text;
  }
  if (draft.jobType.trim() === "render" && (draft.frameStart || draft.frameEnd)) {
    payload = { ...(payload ?? {}) };
    if (draft.frameStart) payload["frame_start"] = Number(draft.frameStart);
    if (draft.frameEnd) payload["frame_end"] = Number(draft.frameEnd);
  }
  if (!draft.jobType.trim()) {
    return { problem: "Choose a job type." };
  }
  return {
    request: {
      jobType: draft.jobType.trim(), payload, payloadRef, inputId, priority: draft.priority,
      gpuRequired: draft.gpuRequired, tier: draft.tier,
    },
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** "16 credits for 2 frames in 2 tasks · you have 100 · 1 eligible node, 1 free slot". */
function estimateText(estimate: EstimateJobResponse): string {
  const price = credits(estimate.price);
  const parts = [`${price} credit${price === "1" ? "" : "s"}${estimate.frames > 0 ? ` for ${plural(estimate.frames, "frame")}` : ""}`
    + ` in ${plural(estimate.tasks, "task")}`,
    `you have ${credits(estimate.available)}${estimate.sufficient ? "" : " (not enough)"}`,
    `${plural(estimate.eligibleNodes, "eligible node")}, ${plural(estimate.freeSlots, "free slot")}`
    + (estimate.queuedAhead > 0 ? `, ${estimate.queuedAhead} queued ahead` : "")];
  return parts.join(" · ");
}

export function SubmitJob() {
  const [draft, setDraft] = useState<Draft>({
    jobType: "echo", payload: "", priority: "normal", gpuRequired: false, tier: "standard", frameStart: "", frameEnd: "",
  });
  const [scene, setScene] = useState<{ id: string; name: string }>();
  const [sceneNote, setSceneNote] = useState<string>();
  const [estimate, setEstimate] = useState<EstimateJobResponse>();
  const [estimateNote, setEstimateNote] = useState<string>();
  const [error, setError] = useState<string>();
  const [short, setShort] = useState<string>();
  const [busy, setBusy] = useState<string>();
  const [submitted, setSubmitted] = useState<{ jobId: string; status: string; nodeId?: string | undefined }>();
  const render = draft.jobType.trim() === "render";

  const update = (change: Partial<Draft>) => setDraft((current) => ({ ...current, ...change }));

  const inputId = render ? scene?.id : undefined;
  useEffect(() => {
    const { request, problem } = requestOf(draft, inputId);
    if (!request) {
      setEstimate(undefined);
      setEstimateNote(problem);
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      rpc(JobPricingService, (c, headers) => c.estimateJob(request, { headers })).then((answer) => {
        if (current) {
          setEstimate(answer);
          setEstimateNote(undefined);
        }
      }, (failure) => {
        if (current) {
          setEstimate(undefined);
          setEstimateNote(describe(failure));
        }
      });
    }, ESTIMATE_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [draft, inputId]);

  /** A scene is uploaded as soon as it is chosen (declared size and SHA-256, then the bytes). */
  async function chooseScene(file: File | undefined) {
    setScene(undefined);
    setSceneNote(undefined);
    if (!file) {
      return;
    }
    setBusy("Uploading scene…");
    try {
      const upload = await client.upload(file, { filename: file.name, contentType: "application/octet-stream" });
      setScene({ id: upload.id, name: file.name });
      setSceneNote(`Uploaded ${file.name} (${Math.ceil(file.size / 1024)} KiB).`);
    } catch (failure) {
      setSceneNote(`The upload failed: ${describe(failure)}`);
    } finally {
      setBusy(undefined);
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    setError(undefined);
    setShort(undefined);
    setSubmitted(undefined);
    try {
      const { request, problem } = requestOf(draft, inputId);
      if (!request) {
        setError(problem);
        return;
      }
      setBusy("Submitting…");
      const answer = await rpc(JobService, (c, headers) =>
        c.dispatchJob({ ...request, idempotencyKey: crypto.randomUUID() }, { headers }));
      setSubmitted({ jobId: answer.jobId, status: answer.status, nodeId: answer.nodeId });
    } catch (failure) {
      if (failure instanceof InsufficientCreditsError) {
        setShort(describe(failure));
      } else {
        setError(describe(failure));
      }
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <main>
      <p><Link href="/jobs">← Jobs</Link></p>
      <PageTitle>Submit Job</PageTitle>
      <form class="form wide" onSubmit={submit}>
        <label for="job-type">Job Type</label>
        <input id="job-type" list="job-types" required value={draft.jobType}
          onInput={(e) => update({ jobType: e.currentTarget.value })} />
        <datalist id="job-types">{JOB_TYPES.map((type) => <option key={type} value={type} />)}</datalist>

        <label for="job-payload">Payload</label>
        <textarea id="job-payload" rows={4} aria-describedby="job-payload-hint" value={draft.payload}
          placeholder='s3://bucket/scene.blend or {"message": "hello"}'
          onInput={(e) => update({ payload: e.currentTarget.value })} />
        <small id="job-payload-hint">A reference URI (S3, IPFS, HTTPS) or JSON pasted directly.</small>

        {render && (
          <fieldset>
            <legend>Render</legend>
            <label for="job-scene">Scene (.blend)</label>
            <input id="job-scene" type="file" accept=".blend"
              aria-describedby="job-scene-note" onChange={(e) => void chooseScene(e.currentTarget.files?.[0])} />
            <small id="job-scene-note" role="status">{sceneNote ?? "Uploaded when chosen; the job renders it."}</small>
            <div class="pair">
              <div>
                <label for="job-frame-start">Frame start</label>
                <input id="job-frame-start" type="number" min={0} value={draft.frameStart}
                  onInput={(e) => update({ frameStart: e.currentTarget.value })} />
              </div>
              <div>
                <label for="job-frame-end">Frame end</label>
                <input id="job-frame-end" type="number" min={0} value={draft.frameEnd}
                  onInput={(e) => update({ frameEnd: e.currentTarget.value })} />
              </div>
            </div>
          </fieldset>
        )}

        <label for="job-priority">Priority</label>
        <select id="job-priority" value={draft.priority} onChange={(e) => update({ priority: e.currentTarget.value })}>
          <option value="low">Low</option>
          <option value="normal">Normal</option>
          <option value="high">High</option>
        </select>

        <label for="job-tier">Tier</label>
        <select id="job-tier" value={draft.tier} onChange={(e) => update({ tier: e.currentTarget.value })}>
          <option value="economy">Economy (×0.8)</option>
          <option value="standard">Standard</option>
          <option value="priority">Priority (×1.5)</option>
        </select>

        <div class="toggle">
          <input id="job-gpu" type="checkbox" role="switch" checked={draft.gpuRequired}
            onChange={(e) => update({ gpuRequired: e.currentTarget.checked })} />
          <label for="job-gpu">GPU Required</label>
        </div>

        <section class="estimate" aria-label="Estimate" aria-live="polite">
          <h2>Estimate</h2>
          {estimate ? (
            <p data-testid="estimate">{estimateText(estimate)}</p>
          ) : <p class="muted">{estimateNote ?? "…"}</p>}
        </section>

        <ErrorNote error={error} />
        {short && <CreditsWarning message={short} />}
        <button type="submit" disabled={busy !== undefined}>{busy ?? "Submit"}</button>
      </form>
      {submitted && (
        <p class="note success" role="status" data-testid="submitted">
          Job <code>{submitted.jobId}</code> submitted: {submitted.status}
          {submitted.nodeId ? <> on node <code>{submitted.nodeId}</code></> : null}.{" "}
          <Link href={`/jobs/${submitted.jobId}`}>View job</Link>
        </p>
      )}
    </main>
  );
}
