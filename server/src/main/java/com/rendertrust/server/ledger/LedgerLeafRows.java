package com.rendertrust.server.ledger;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.CREDIT_TRANSFERS;

import java.util.List;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.SelectOnConditionStep;
import org.jooq.DSLContext;

/**
 * Reads ledger entries as {@link LedgerLeaf}s straight from the credit tables: exactly the fields
 * a credit history row shows (from the entry and its transfer) plus the account's owner. The
 * sealer uses it to build leaves and {@code verify} uses it to recompute a leaf from the row as
 * it is NOW, so any later change of those fields changes the leaf.
 */
final class LedgerLeafRows {

  /** Leaves are the entries on user accounts: the ones a user sees in history and can ask a proof for. */
  static final String LEAF_ACCOUNT_KIND = "USER";

  static final List<Field<?>> FIELDS = List.of(CREDIT_ENTRIES.ID, CREDIT_ENTRIES.SEQ, CREDIT_ENTRIES.AMOUNT,
      CREDIT_ENTRIES.BALANCE_AFTER, CREDIT_ENTRIES.CREATED_AT, CREDIT_ACCOUNTS.OWNER_ID, CREDIT_TRANSFERS.SOURCE,
      CREDIT_TRANSFERS.REFERENCE_ID, CREDIT_TRANSFERS.DESCRIPTION);

  private LedgerLeafRows() {
  }

  /** Entries on user accounts joined with their account and transfer; callers add the filter. */
  static SelectOnConditionStep<Record> select(DSLContext dsl, List<Field<?>> extra) {
    List<Field<?>> fields = new java.util.ArrayList<>(FIELDS);
    fields.addAll(extra);
    return dsl.select(fields)
        .from(CREDIT_ENTRIES)
        .join(CREDIT_ACCOUNTS).on(CREDIT_ACCOUNTS.ID.eq(CREDIT_ENTRIES.ACCOUNT_ID)
            .and(CREDIT_ACCOUNTS.KIND.eq(LEAF_ACCOUNT_KIND)))
        .join(CREDIT_TRANSFERS).on(CREDIT_TRANSFERS.ID.eq(CREDIT_ENTRIES.TRANSFER_ID));
  }

  static LedgerLeaf leaf(Record row) {
    long signed = row.get(CREDIT_ENTRIES.AMOUNT);
    return new LedgerLeaf(
        row.get(CREDIT_ENTRIES.ID),
        row.get(CREDIT_ACCOUNTS.OWNER_ID),
        Math.abs(signed),
        signed > 0 ? LedgerLeaf.Direction.CREDIT : LedgerLeaf.Direction.DEBIT,
        row.get(CREDIT_TRANSFERS.SOURCE),
        row.get(CREDIT_TRANSFERS.REFERENCE_ID),
        row.get(CREDIT_ENTRIES.BALANCE_AFTER),
        row.get(CREDIT_TRANSFERS.DESCRIPTION),
        row.get(CREDIT_ENTRIES.CREATED_AT).toInstant());
  }

  static long sequence(Record row) {
    return row.get(CREDIT_ENTRIES.SEQ);
  }
}
