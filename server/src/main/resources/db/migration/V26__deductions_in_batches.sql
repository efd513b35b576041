-- Group commit of deductions (issue 19): the deductions that arrive while one batch is written
-- are written together by the next, in one statement, so a batch pays one round trip and one
-- commit (one WAL flush) instead of one per deduction.
--
-- Each deduction is credit_debit_user (V3) in batch order, with the same outcomes: POSTED,
-- NO_ACCOUNT, INSUFFICIENT (the available amount after the batch's earlier deductions of the same
-- user), REFERENCE_TAKEN (also when an earlier deduction of the batch took the reference); only
-- POSTED writes anything. Every account the batch can touch is locked first: the users' accounts
-- in id order, then the accounts credited (platform revenue shards) in id order, the order in
-- which a single deduction and a completion batch's capture (credit_apply_legs, V19) take them.
-- Locked one deduction at a time, a batch would hold a shard while it waited for the next user,
-- and deadlock with a capture holding that user and waiting for the shard.
-- Arrays are parallel, one element per deduction; ord is the deduction's 1-based position.
CREATE FUNCTION credit_debit_users(
    p_owner_ids UUID[], p_credit_account_ids UUID[], p_amounts BIGINT[], p_sources VARCHAR[], p_origins VARCHAR[],
    p_reference_ids VARCHAR[], p_descriptions VARCHAR[], p_transfer_ids UUID[], p_user_entry_ids UUID[],
    p_other_entry_ids UUID[])
RETURNS TABLE (ord INT, outcome TEXT, available BIGINT, entry_seq BIGINT, entry_balance_after BIGINT,
               entry_created_at TIMESTAMPTZ)
LANGUAGE plpgsql AS $$
DECLARE
    v_count INT := coalesce(array_length(p_owner_ids, 1), 0);
BEGIN
    IF v_count <> coalesce(array_length(p_credit_account_ids, 1), 0) OR v_count <> coalesce(array_length(p_amounts, 1), 0)
       OR v_count <> coalesce(array_length(p_sources, 1), 0) OR v_count <> coalesce(array_length(p_origins, 1), 0)
       OR v_count <> coalesce(array_length(p_reference_ids, 1), 0)
       OR v_count <> coalesce(array_length(p_descriptions, 1), 0)
       OR v_count <> coalesce(array_length(p_transfer_ids, 1), 0)
       OR v_count <> coalesce(array_length(p_user_entry_ids, 1), 0)
       OR v_count <> coalesce(array_length(p_other_entry_ids, 1), 0) THEN
        RAISE EXCEPTION 'credit_debit_users: arrays of different lengths' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM 1 FROM credit_accounts a WHERE a.owner_id = ANY (p_owner_ids) AND a.kind = 'USER' ORDER BY a.id FOR UPDATE;
    PERFORM 1 FROM credit_accounts a WHERE a.id = ANY (p_credit_account_ids) ORDER BY a.id FOR UPDATE;
    FOR i IN 1 .. v_count LOOP
        RETURN QUERY
            SELECT i, d.outcome, d.available, d.entry_seq, d.entry_balance_after, d.entry_created_at
              FROM credit_debit_user(p_owner_ids[i], p_credit_account_ids[i], p_amounts[i], p_sources[i], p_origins[i],
                                     p_reference_ids[i], p_descriptions[i], p_transfer_ids[i], p_user_entry_ids[i],
                                     p_other_entry_ids[i]) d;
    END LOOP;
END
$$;
