package com.rendertrust.server.credits;

import com.rendertrust.server.platform.db.BatchAnswer;
import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.ConnectionLoss;
import com.rendertrust.server.platform.errors.DomainException;
import java.util.Optional;

/**
 * Group commit of deductions: the deductions that arrive while one batch is written are written
 * by the next, in one statement ({@code credit_debit_users}, migration V26) that is its own
 * transaction. A batch pays one round trip and one commit for all of its deductions, and each
 * deduction gets the answer it would have got alone, in arrival order.
 */
final class DeductionBatch {

  /** At most this many deductions per statement: a batch holds its accounts' locks until it commits. */
  static final int MAX_BATCH = 64;

  private final GroupCommit<LedgerStore.UserDebit, BatchAnswer<LedgerStore.Debit>> commits;

  DeductionBatch(Transactions transactions, LedgerStore store) {
    // one statement: retried whole on a deadlock or serialization failure (nothing of it committed)
    this.commits = new GroupCommit<>("deductions", MAX_BATCH, batch -> {
      try {
        return transactions.singleStatement(dsl -> store.debitUsers(dsl, batch)).stream()
            .map(BatchAnswer::of).toList();
      } catch (DomainException refused) {
        if (!ConnectionLoss.isUnavailable(refused)) {
          throw refused; // the batch wrote nothing: each deduction goes alone, and gets its own answer
        }
        // Transactions' answer to a lost connection, which may have come after the commit: a
        // deduction with a reference goes alone, where a repeat is a replay (the entry the batch
        // wrote, if it committed); one without must not be written again (it would be charged twice)
        return batch.stream().map(request -> request.referenceId().isPresent()
            ? null : BatchAnswer.<LedgerStore.Debit>lost())
            .toList();
      }
    });
  }

  /**
   * The deduction written with the next batch; empty when the caller must deduct alone: the
   * batch failed without writing anything, or it lost its database connection and the deduction
   * has a reference (alone, a repeat of a committed deduction is a replay). Throws 503 when the
   * batch lost its connection and the deduction has no reference: whether it was written is unknown.
   */
  Optional<LedgerStore.Debit> debit(LedgerStore.UserDebit request) {
    return BatchAnswer.unwrap(commits.submit(request));
  }

  /** The deductions batches wrote since start, and the batches. */
  GroupCommit.Written written() {
    return commits.written();
  }
}
