-- The W3C traceparent of the call that submitted a job (empty when it was not traced), so that
-- its dispatch, the node's execution and its settlement join the creator's trace whichever
-- replica dispatches it (docs/operations.md, "Traces").
ALTER TABLE jobs ADD COLUMN trace_parent VARCHAR(55);
