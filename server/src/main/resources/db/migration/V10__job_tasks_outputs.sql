-- The task becomes the unit of scheduling. A job is split into tasks (a render job by
-- frames_per_task, any other job is one task); each task is queued, handed to a node under a
-- fencing assignment, timed out and retried on its own. The job's status and counters are
-- derived from its tasks in the same transactions that change them (see jobs.JobTaskStore).
-- Outputs are the frames a render task delivered, each checked against the stored object.

ALTER TABLE jobs ADD COLUMN tasks_total  INTEGER NOT NULL DEFAULT 1 CHECK (tasks_total >= 1);
ALTER TABLE jobs ADD COLUMN tasks_done   INTEGER NOT NULL DEFAULT 0 CHECK (tasks_done >= 0);
-- Frames of a render job (0: the job has no frames); frames_done counts delivered outputs.
ALTER TABLE jobs ADD COLUMN frames_total INTEGER NOT NULL DEFAULT 0 CHECK (frames_total >= 0);
ALTER TABLE jobs ADD COLUMN frames_done  INTEGER NOT NULL DEFAULT 0 CHECK (frames_done >= 0);
-- Typed failure: INPUT_UNAVAILABLE, INVALID_INPUT, OUT_OF_MEMORY, TIMEOUT, PLUGIN_ERROR,
-- NODE_LOST or RETRIES_EXHAUSTED.
ALTER TABLE jobs ADD COLUMN error_code   VARCHAR(32);

CREATE TABLE job_tasks (
    id             UUID          PRIMARY KEY,
    job_id         UUID          NOT NULL REFERENCES jobs (id),
    task_index     INTEGER       NOT NULL CHECK (task_index >= 0),
    -- Copies of the job's (immutable) scheduling keys, so the queue is one index on this table.
    job_type       VARCHAR(100)  NOT NULL,
    gpu_required   BOOLEAN       NOT NULL,
    priority_rank  SMALLINT      NOT NULL,
    -- The task's frames (render jobs); all null for a job without frames.
    frame_start    INTEGER,
    frame_end      INTEGER,
    frame_step     INTEGER,
    status         VARCHAR(16)   NOT NULL
        CHECK (status IN ('QUEUED', 'DISPATCHED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    node_id        UUID          REFERENCES nodes (id),
    -- The current assignment: the fencing token every node frame about the task echoes.
    assignment_id  UUID,
    -- Times the task was handed to a node, and times it was put back in the queue.
    attempts       INTEGER       NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    retry_count    INTEGER       NOT NULL DEFAULT 0 CHECK (retry_count >= 0 AND retry_count <= 100),
    queued_at      TIMESTAMPTZ   NOT NULL,
    dispatched_at  TIMESTAMPTZ,
    started_at     TIMESTAMPTZ,
    completed_at   TIMESTAMPTZ,
    -- When the current assignment must have reported its result (dispatch + max run time).
    deadline       TIMESTAMPTZ,
    error_code     VARCHAR(32),
    error_message  VARCHAR(1000),
    CONSTRAINT job_tasks_index_per_job UNIQUE (job_id, task_index),
    CONSTRAINT job_tasks_frames CHECK (
        (frame_start IS NULL) = (frame_end IS NULL) AND (frame_start IS NULL) = (frame_step IS NULL)
        AND (frame_end IS NULL OR frame_end >= frame_start) AND (frame_step IS NULL OR frame_step >= 1)),
    CONSTRAINT job_tasks_active_has_assignment CHECK (
        status NOT IN ('DISPATCHED', 'RUNNING')
        OR (node_id IS NOT NULL AND assignment_id IS NOT NULL AND dispatched_at IS NOT NULL AND deadline IS NOT NULL)),
    CONSTRAINT job_tasks_queued_unassigned CHECK (status <> 'QUEUED' OR assignment_id IS NULL),
    CONSTRAINT job_tasks_running_started CHECK (status <> 'RUNNING' OR started_at IS NOT NULL),
    CONSTRAINT job_tasks_terminal_completed_at CHECK (
        (status IN ('COMPLETED', 'FAILED', 'CANCELLED')) = (completed_at IS NOT NULL))
);

-- Frames delivered by render tasks: only rows whose stored object the server checked.
CREATE TABLE job_outputs (
    job_id         UUID          NOT NULL REFERENCES jobs (id),
    frame          INTEGER       NOT NULL,
    task_id        UUID          NOT NULL REFERENCES job_tasks (id),
    -- The assignment that delivered it; its key carries the same id, so a stale node cannot
    -- overwrite a frame another attempt delivered.
    assignment_id  UUID          NOT NULL,
    name           VARCHAR(64)   NOT NULL,
    object_key     VARCHAR(512)  NOT NULL,
    size_bytes     BIGINT        NOT NULL CHECK (size_bytes >= 0),
    sha256         VARCHAR(64)   NOT NULL CHECK (length(sha256) = 64),
    content_type   VARCHAR(100)  NOT NULL,
    created_at     TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (job_id, frame)
);

ALTER TABLE job_assignments ADD COLUMN task_id UUID REFERENCES job_tasks (id);

CREATE INDEX job_outputs_by_task ON job_outputs (task_id, assignment_id);

/* [jooq ignore start] */
-- A render job with several tasks has no single assignment: only a one-task job mirrors its
-- task's assignment on the job row.
ALTER TABLE jobs DROP CONSTRAINT jobs_active_has_assignment;
ALTER TABLE jobs ADD CONSTRAINT jobs_active_has_assignment CHECK (
    tasks_total > 1 OR status NOT IN ('DISPATCHED', 'RUNNING')
    OR (node_id IS NOT NULL AND assignment_id IS NOT NULL AND dispatched_at IS NOT NULL AND deadline IS NOT NULL));
ALTER TABLE jobs ADD CONSTRAINT jobs_tasks_done_bounded CHECK (tasks_done <= tasks_total);

-- Every existing job becomes one task in its current state. A submission an earlier version
-- left HOLD_PENDING must never run (the sweeper fails it): its task starts CANCELLED.
INSERT INTO job_tasks (id, job_id, task_index, job_type, gpu_required, priority_rank, status, node_id,
                       assignment_id, attempts, retry_count, queued_at, dispatched_at, started_at, completed_at,
                       deadline, error_message)
SELECT gen_random_uuid(), j.id, 0, j.job_type, j.gpu_required, j.priority_rank,
       CASE WHEN j.settlement = 'HOLD_PENDING' THEN 'CANCELLED' ELSE j.status END,
       j.node_id, CASE WHEN j.settlement = 'HOLD_PENDING' THEN NULL ELSE j.assignment_id END,
       (SELECT count(*) FROM job_assignments a WHERE a.job_id = j.id), j.retry_count,
       COALESCE(j.queued_at, j.created_at), j.dispatched_at, j.started_at,
       CASE WHEN j.settlement = 'HOLD_PENDING' THEN COALESCE(j.completed_at, now()) ELSE j.completed_at END,
       j.deadline, j.error_message
  FROM jobs j;
UPDATE jobs SET tasks_done = 1 WHERE status = 'COMPLETED';
UPDATE job_assignments a SET task_id = t.id FROM job_tasks t WHERE t.job_id = a.job_id;

-- At most one open assignment per task: no task is ever run by two nodes at once.
DROP INDEX job_assignments_one_open_per_job;
CREATE UNIQUE INDEX job_assignments_one_open_per_task ON job_assignments (task_id) WHERE ended_at IS NULL;
DROP INDEX jobs_queue;
DROP INDEX jobs_active_by_node;
CREATE INDEX job_tasks_queue ON job_tasks (priority_rank DESC, queued_at, job_id, task_index) WHERE status = 'QUEUED';
CREATE INDEX job_tasks_active_by_node ON job_tasks (node_id) WHERE status IN ('DISPATCHED', 'RUNNING');
CREATE UNIQUE INDEX job_tasks_by_assignment ON job_tasks (assignment_id) WHERE assignment_id IS NOT NULL;
/* [jooq ignore stop] */
