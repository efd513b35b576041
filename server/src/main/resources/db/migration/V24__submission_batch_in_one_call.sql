-- A submission batch's slots and rows in one call (issue 19). SubmissionBatch sent a statement for
-- the queue-ahead test, one per claim round and kind of task, one for the jobs and one for their
-- tasks, all after its holds had locked the creators' accounts; each was a round trip with those
-- locks held, and a completion batch's capture waits for them. In the jobs benchmark's open loop
-- at 500/s the submission writer spent 3.7 ms per batch of two submissions, nearly all of it
-- round trips. Now the batch sends its holds, this call, its events and the commit.

-- jOOQ's DDL parser (code generation) does not read PL/pgSQL; the application calls these by SQL.
/* [jooq ignore start] */

-- The nodes feature's claim of up to p_count slots on nodes ready for a task of the type (HEALTHY,
-- key proven, ACTIVE, stream open, the type offered, a GPU if required), least loaded first: each
-- round picks the candidate slots, locks their nodes in id order (the batched release and the
-- heartbeat batch lock nodes in id order too: two orders deadlocked) and takes the slots that are
-- still free on the locked row. A node filled concurrently between the pick and the lock is
-- skipped and the rest picked again, at most 5 rounds. Answers one row per slot claimed, in the
-- order tasks should take them (a node once per slot). NodeStates.claimFor calls it.
CREATE FUNCTION nodes_claim_for_type(p_job_type VARCHAR, p_gpu_required BOOLEAN, p_count INT)
RETURNS TABLE (node_id UUID)
LANGUAGE plpgsql AS $$
DECLARE
    v_claimed UUID[] := '{}';
    v_round UUID[];
    v_picked INT;
BEGIN
    FOR v_attempt IN 1..5 LOOP
        EXIT WHEN cardinality(v_claimed) >= p_count;
        WITH candidate AS (
            SELECT n.id, n.slots, n.active_jobs, n.current_load FROM nodes n
             WHERE n.status = 'HEALTHY' AND n.verified AND n.admin_state = 'ACTIVE' AND n.stream_session IS NOT NULL
               AND p_job_type = ANY (n.capabilities) AND (n.has_gpu OR NOT p_gpu_required)
               AND n.active_jobs < n.slots),
        ranked AS (
            SELECT c.id, row_number() OVER (ORDER BY s::float8 / c.slots, c.current_load, c.id) AS rank
              FROM candidate c, generate_series(c.active_jobs, c.slots - 1) AS s
             ORDER BY rank LIMIT p_count - cardinality(v_claimed)),
        wanted AS (SELECT r.id, count(*)::int AS take FROM ranked r GROUP BY r.id),
        locked AS (
            SELECT n.id FROM nodes n WHERE n.id IN (SELECT w.id FROM wanted w) ORDER BY n.id FOR NO KEY UPDATE),
        claimed AS (
            UPDATE nodes n SET active_jobs = n.active_jobs + w.take FROM wanted w JOIN locked l ON l.id = w.id
             WHERE n.id = w.id AND n.active_jobs + w.take <= n.slots
               AND n.status = 'HEALTHY' AND n.verified AND n.admin_state = 'ACTIVE' AND n.stream_session IS NOT NULL
               AND p_job_type = ANY (n.capabilities) AND (n.has_gpu OR NOT p_gpu_required)
            RETURNING n.id)
        SELECT count(*)::int, array_agg(r.id ORDER BY r.rank) FILTER (WHERE c.id IS NOT NULL)
          INTO v_picked, v_round
          FROM ranked r LEFT JOIN claimed c ON c.id = r.id;
        EXIT WHEN v_picked = 0;
        v_claimed := v_claimed || COALESCE(v_round, '{}');
    END LOOP;
    RETURN QUERY SELECT c.id FROM unnest(v_claimed) WITH ORDINALITY AS c (id, ord) ORDER BY c.ord;
END
$$;

-- The jobs feature's part of a submission batch, after its holds (the arrays are the held
-- submissions, in batch order; each one-task, without an uploaded input). A submission whose type
-- has queued work at its tier and priority or higher waits behind it (FIFO within priority);
-- those test once per (type, tier, priority). The others claim slots with one claim per kind of
-- task (type, GPU), kinds in the order the batch first names them, highest tier and priority first
-- within a kind, then in batch order. Then the jobs (in their task's first state), their tasks,
-- and the assignments of those dispatched, as JobService's one-job path writes them.
-- Answers each submission's (job, node or null when it queues, assignment, task), in batch order;
-- answers nothing when a concurrent submission took an idempotency key first, having written no
-- task: the caller rolls back and the one-job path replays it.
CREATE FUNCTION job_submissions_place(
    p_job_ids UUID[], p_user_ids UUID[], p_job_types VARCHAR[], p_payload_refs VARCHAR[], p_payloads VARCHAR[],
    p_priorities VARCHAR[], p_priority_ranks INT[], p_gpu_required BOOLEAN[], p_prices BIGINT[], p_tiers VARCHAR[],
    p_tier_ranks INT[], p_round_units INT[], p_idempotency_keys VARCHAR[], p_request_hashes VARCHAR[],
    p_max_runtime_ms BIGINT[], p_frames_total INT[], p_trace_parents VARCHAR[], p_frame_starts INT[],
    p_frame_ends INT[], p_frame_steps INT[], p_now TIMESTAMPTZ)
RETURNS TABLE (job_id UUID, node_id UUID, assignment_id UUID, task_id UUID)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_count INT := cardinality(p_job_ids);
    v_nodes UUID[] := array_fill(NULL::UUID, ARRAY[v_count]);
    v_assignments UUID[] := array_fill(NULL::UUID, ARRAY[v_count]);
    v_kind RECORD;
    v_claimed UUID[];
    v_written INT;
BEGIN
    FOR v_kind IN
        WITH want AS (
            SELECT i, p_job_types[i] AS job_type, p_gpu_required[i] AS gpu, p_tier_ranks[i] AS tier,
                   p_priority_ranks[i] AS prio
              FROM generate_subscripts(p_job_ids, 1) AS i),
        place AS (
            SELECT p.job_type, p.tier, p.prio,
                   EXISTS (SELECT 1 FROM job_tasks t
                            WHERE t.status = 'QUEUED' AND t.job_type = p.job_type
                              AND (t.tier_rank, t.priority_rank) >= (CAST(p.tier AS SMALLINT), CAST(p.prio AS SMALLINT)))
                       AS behind
              FROM (SELECT DISTINCT w.job_type, w.tier, w.prio FROM want w) p)
        SELECT w.job_type, w.gpu, array_agg(w.i ORDER BY w.tier DESC, w.prio DESC, w.i) AS indexes
          FROM want w JOIN place p ON p.job_type = w.job_type AND p.tier = w.tier AND p.prio = w.prio
         WHERE NOT p.behind
         GROUP BY w.job_type, w.gpu
         ORDER BY min(w.i)
    LOOP
        SELECT array_agg(c.node_id) INTO v_claimed
          FROM nodes_claim_for_type(v_kind.job_type, v_kind.gpu, cardinality(v_kind.indexes)) AS c;
        FOR j IN 1..COALESCE(cardinality(v_claimed), 0) LOOP
            v_nodes[v_kind.indexes[j]] := v_claimed[j];
            v_assignments[v_kind.indexes[j]] := gen_random_uuid();
        END LOOP;
    END LOOP;

    INSERT INTO jobs (id, user_id, job_type, payload_ref, payload, priority, priority_rank, gpu_required, status,
                      price, tier, round_price, round_units, settlement, idempotency_key, request_hash,
                      first_status, first_node_id, node_id, assignment_id, dispatched_at, deadline, tasks_total,
                      frames_total, queued_at, created_at, updated_at, trace_parent)
    SELECT j.id, j.user_id, j.job_type, j.payload_ref, CAST(j.payload AS JSONB), j.priority, j.priority_rank,
           j.gpu_required, CASE WHEN j.node_id IS NULL THEN 'QUEUED' ELSE 'DISPATCHED' END, j.price, j.tier,
           j.price, j.round_units, 'HELD', j.idempotency_key, j.request_hash,
           CASE WHEN j.node_id IS NULL THEN 'QUEUED' ELSE 'DISPATCHED' END, j.node_id, j.node_id, j.assignment_id,
           CASE WHEN j.node_id IS NOT NULL THEN p_now END,
           CASE WHEN j.node_id IS NOT NULL THEN p_now + j.max_runtime_ms * INTERVAL '1 millisecond' END,
           1, j.frames_total, p_now, p_now, p_now, j.trace_parent
      FROM unnest(p_job_ids, p_user_ids, p_job_types, p_payload_refs, p_payloads, p_priorities, p_priority_ranks,
                  p_gpu_required, p_prices, p_tiers, p_round_units, p_idempotency_keys, p_request_hashes, v_nodes,
                  v_assignments, p_max_runtime_ms, p_frames_total, p_trace_parents)
           AS j (id, user_id, job_type, payload_ref, payload, priority, priority_rank, gpu_required, price, tier,
                 round_units, idempotency_key, request_hash, node_id, assignment_id, max_runtime_ms, frames_total,
                 trace_parent)
    ON CONFLICT (user_id, idempotency_key) DO NOTHING;
    GET DIAGNOSTICS v_written = ROW_COUNT;
    IF v_written <> v_count THEN
        RETURN;
    END IF;

    RETURN QUERY
    WITH inserted AS (
        INSERT INTO job_tasks (id, job_id, task_index, job_type, gpu_required, priority_rank, frame_start, frame_end,
                               frame_step, status, node_id, assignment_id, attempts, retry_count, queued_at,
                               dispatched_at, deadline, tier_rank, user_id)
        SELECT gen_random_uuid(), t.job_id, 0, t.job_type, t.gpu_required, t.priority_rank, t.frame_start,
               t.frame_end, t.frame_step, CASE WHEN t.node_id IS NULL THEN 'QUEUED' ELSE 'DISPATCHED' END,
               t.node_id, t.assignment_id, CASE WHEN t.node_id IS NULL THEN 0 ELSE 1 END, 0, p_now,
               CASE WHEN t.node_id IS NOT NULL THEN p_now END,
               CASE WHEN t.node_id IS NOT NULL THEN p_now + t.max_runtime_ms * INTERVAL '1 millisecond' END,
               t.tier_rank, t.user_id
          FROM unnest(p_job_ids, p_user_ids, p_job_types, p_gpu_required, p_priority_ranks, p_tier_ranks,
                      p_frame_starts, p_frame_ends, p_frame_steps, v_nodes, v_assignments, p_max_runtime_ms)
               AS t (job_id, user_id, job_type, gpu_required, priority_rank, tier_rank, frame_start, frame_end,
                     frame_step, node_id, assignment_id, max_runtime_ms)
        RETURNING job_tasks.id, job_tasks.job_id, job_tasks.node_id, job_tasks.assignment_id),
    assigned AS (
        INSERT INTO job_assignments (id, job_id, task_id, node_id, created_at)
        SELECT i.assignment_id, i.job_id, i.id, i.node_id, p_now FROM inserted i WHERE i.assignment_id IS NOT NULL)
    SELECT i.job_id, i.node_id, i.assignment_id, i.id
      FROM inserted i JOIN unnest(p_job_ids) WITH ORDINALITY AS o (job_id, ord) ON o.job_id = i.job_id
     ORDER BY o.ord;
END
$$;

/* [jooq ignore stop] */
