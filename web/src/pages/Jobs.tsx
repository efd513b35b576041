/**
 * Jobs (the seed guide): every job with its status badge, status filter buttons, a row opens the
 * job's detail; while any listed job is still active the list refreshes by itself.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Job } from "@rendertrust/sdk";
import { client, describe, when } from "../api";
import { ErrorNote, PageTitle, STATUSES, StatusBadge, TERMINAL, shortId, useInterval } from "../components";
import { Link, navigate } from "../router";

/** How often an active list is re-read (the seed's app: every 5 seconds; jobs move faster here). */
const REFRESH_MS = 2_000;

export function Jobs() {
  const [filter, setFilter] = useState<string>("");
  const [jobs, setJobs] = useState<Job[]>();
  const [count, setCount] = useState(0);
  const [error, setError] = useState<string>();
  /** Only the latest request's answer is shown (an older filter's must not overwrite a newer one). */
  const latest = useRef(0);

  async function load(status = filter) {
    const request = ++latest.current;
    try {
      const page = await client.listJobs({ status, limit: 50 });
      if (request !== latest.current) {
        return;
      }
      setJobs(page.jobs);
      setCount(page.count);
      setError(undefined);
    } catch (failure) {
      setError(describe(failure));
    }
  }
  useEffect(() => void load(filter), [filter]);
  const active = (jobs ?? []).some((job) => !TERMINAL.has(job.status));
  useInterval(() => void load(), REFRESH_MS, active);

  return (
    <main>
      <div class="title-row">
        <PageTitle>Jobs</PageTitle>
        <Link href="/jobs/new" class="button">Submit Job</Link>
      </div>
      <div class="filters" role="group" aria-label="Filter by status">
        {["", ...STATUSES].map((status) => (
          <button type="button" key={status || "ALL"} aria-pressed={filter === status}
            class={filter === status ? "chip selected" : "chip"} onClick={() => setFilter(status)}>
            {status || "ALL"}
          </button>
        ))}
      </div>
      <ErrorNote error={error} />
      {jobs === undefined ? <p class="muted">Loading…</p> : jobs.length === 0 ? (
        <p class="muted">{filter ? `No ${filter} jobs.` : "No jobs yet: submit one."}</p>
      ) : (
        <div class="table-wrap">
          <table class="jobs">
            <caption class="visually-hidden">{count} jobs{filter ? ` with status ${filter}` : ""}</caption>
            <thead>
              <tr><th scope="col">Job</th><th scope="col">Type</th><th scope="col">Status</th>
                <th scope="col">Priority</th><th scope="col">Progress</th><th scope="col">Created</th></tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.id} class="clickable" data-job-id={job.id} onClick={() => navigate(`/jobs/${job.id}`)}>
                  <td><Link href={`/jobs/${job.id}`} aria-label={`Job ${job.id}`}><code>{shortId(job.id)}</code></Link></td>
                  <td>{job.jobType}</td>
                  <td><StatusBadge status={job.status} /></td>
                  <td>{job.priority}</td>
                  <td><progress max={1} value={job.status === "COMPLETED" ? 1 : job.progress}
                    aria-label={`Progress of job ${shortId(job.id)}`} /></td>
                  <td>{when(job.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
