-- Live job events (issue 15, docs/events.md). Owned by the events feature: job_events (an
-- append-only log, one row per change of a job or one of its tasks, written in the transaction
-- of that change) and job_event_heads (the last seq of each job, the row lock that keeps a job's
-- seq gapless and in commit order). The progress columns of jobs and job_tasks belong to the jobs
-- feature, which writes them with its task.progress events.

CREATE TABLE job_event_heads (
    job_id   UUID PRIMARY KEY,
    user_id  UUID NOT NULL,
    last_seq INTEGER NOT NULL CHECK (last_seq >= 1)
);

-- id: global, increasing in insertion order (CACHE 1: see events.JobEventLog for reading it as a
-- cursor); seq: per job, from 1, without gaps.
CREATE TABLE job_events (
    id          BIGSERIAL PRIMARY KEY,
    job_id      UUID NOT NULL,
    user_id     UUID NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    type        VARCHAR(32) NOT NULL,
    task_id     UUID,
    node_id     UUID,
    status      VARCHAR(16) NOT NULL,
    progress    DOUBLE PRECISION,
    frames_done INTEGER,
    error_code  VARCHAR(64),
    message     VARCHAR(1000),
    created_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT job_events_job_seq UNIQUE (job_id, seq)
);

CREATE INDEX job_events_user_id ON job_events (user_id, id);

-- The latest progress a node reported for a task (stored at most once a second per task), and
-- the job's aggregate of its tasks' reports.
ALTER TABLE job_tasks
    ADD COLUMN progress_percent INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN progress_frames  INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN progress_at      TIMESTAMPTZ;
ALTER TABLE jobs
    ADD COLUMN reported_progress DOUBLE PRECISION NOT NULL DEFAULT 0,
    ADD COLUMN reported_frames   INTEGER NOT NULL DEFAULT 0;

/* [jooq ignore start] */
CREATE FUNCTION job_events_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER job_events_append_only BEFORE UPDATE OR DELETE ON job_events
    FOR EACH ROW EXECUTE FUNCTION job_events_reject_change();
/* [jooq ignore stop] */
