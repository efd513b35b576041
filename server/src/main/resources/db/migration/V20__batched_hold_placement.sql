-- Set-based hold placement for batches of submissions (issue 19, SubmissionBatch). One call
-- places the holds of many jobs, many users' among them: each user's account is locked once (in
-- id order, the order every multi-account posting follows) and its held amount moves once, by the
-- sum of its new holds, where credit_hold_place (V7) took one round trip and one account update
-- per job. The single placement is unchanged.

-- jOOQ's DDL parser (code generation) does not read PL/pgSQL; the application calls this by SQL.
/* [jooq ignore start] */

-- Places the hold of each job (p_job_ids[i] for p_owner_ids[i]'s USER account, p_amounts[i] > 0).
-- A user's jobs are taken in array order while their running sum fits the account's available
-- credits (balance - held); from the first that does not fit on, that user's jobs are REFUSED, as
-- are jobs of an owner without an account, jobs that already have a hold, and amounts not above 0.
-- Nothing is written for a refused job: the caller places it on its own (credit_hold_place), which
-- answers it exactly. Answers each job once, in array order.
CREATE FUNCTION credit_holds_place_all(p_job_ids UUID[], p_owner_ids UUID[], p_amounts BIGINT[])
RETURNS TABLE (job_id UUID, outcome TEXT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    IF cardinality(p_job_ids) <> cardinality(p_owner_ids) OR cardinality(p_job_ids) <> cardinality(p_amounts) THEN
        RAISE EXCEPTION 'credit_holds_place_all takes arrays of one length' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM 1 FROM credit_accounts a
      WHERE a.owner_id = ANY(p_owner_ids) AND a.kind = 'USER' ORDER BY a.id FOR UPDATE;
    -- a new statement: it sees the accounts as locked, with every hold committed before the locks
    RETURN QUERY
    WITH asked AS (
        SELECT w.job_id, w.owner_id, w.amount, w.ord, a.id AS account_id, a.balance - a.held AS available,
               EXISTS (SELECT 1 FROM credit_holds h WHERE h.job_id = w.job_id) AS held_already
          FROM unnest(p_job_ids, p_owner_ids, p_amounts) WITH ORDINALITY AS w (job_id, owner_id, amount, ord)
          LEFT JOIN credit_accounts a ON a.owner_id = w.owner_id AND a.kind = 'USER'),
    wanted AS (
        SELECT asked.*,
               sum(amount) OVER (PARTITION BY owner_id ORDER BY ord) AS running,
               bool_or(held_already OR amount <= 0) OVER (PARTITION BY owner_id ORDER BY ord)
                 OR count(*) OVER (PARTITION BY job_id) > 1 AS blocked
          FROM asked),
    -- with amounts above 0 the running sum only grows: a job fits only if every earlier one of its user fits
    fitting AS (
        SELECT wanted.* FROM wanted WHERE account_id IS NOT NULL AND NOT blocked AND running <= available),
    inserted AS (
        INSERT INTO credit_holds (job_id, account_id, amount, status)
        SELECT fitting.job_id, fitting.account_id, fitting.amount, 'ACTIVE' FROM fitting),
    moved AS (
        UPDATE credit_accounts a SET held = a.held + per_account.total
          FROM (SELECT account_id, sum(amount)::BIGINT AS total FROM fitting GROUP BY account_id) per_account
         WHERE a.id = per_account.account_id)
    SELECT wanted.job_id, CASE WHEN fitting.job_id IS NULL THEN 'REFUSED' ELSE 'HELD' END
      FROM wanted LEFT JOIN fitting ON fitting.ord = wanted.ord
     ORDER BY wanted.ord;
END
$$;

/* [jooq ignore stop] */
