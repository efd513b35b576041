package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_HOLDS;

import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.SelectConditionStep;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * The jobs flow's money API, a two-phase transfer per job (TigerBeetle's pending/post/void):
 * {@link #hold} reserves the price at submit (counted against {@code available}, the balance
 * is untouched), {@link #capture} posts it as one USAGE entry on completion and splits it between
 * the node operator's earnings and platform revenue, {@link #release} returns it on failure,
 * cancellation or timeout. Every call is idempotent by job id, and a hold resolves at most once
 * (the database rejects a second resolution too).
 *
 * <p>Call these in their own transaction, not inside the caller's: each is one atomic step.
 */
public final class JobHolds {

  private final DSLContext dsl;
  private final Transactions transactions;
  private final LedgerStore store = new LedgerStore();
  private final int operatorSharePercent;

  /** {@code operatorSharePercent}: the operator's share of a captured price (0..100); the rest is platform revenue. */
  public JobHolds(DSLContext dsl, int operatorSharePercent) {
    if (operatorSharePercent < 0 || operatorSharePercent > 100) {
      throw new IllegalArgumentException("operator share must be 0..100 percent, got " + operatorSharePercent);
    }
    this.dsl = dsl;
    this.transactions = new Transactions(dsl);
    this.operatorSharePercent = operatorSharePercent;
  }

  /**
   * Reserves {@code amount} of the user's credits for the job. 402 INSUFFICIENT_CREDITS when
   * {@code available} is short. A repeat for the same job with the same user and amount returns
   * the existing hold (whatever its state); with another user or amount it is 409.
   */
  public Hold hold(UUID jobId, UUID userId, CreditAmount amount) {
    if (amount.units() < 0 || amount.compareTo(CreditAmount.MAX_TRANSFER) > 0) {
      throw new IllegalArgumentException("hold amount must be 0.." + CreditAmount.MAX_TRANSFER + ", got " + amount);
    }
    return retryingDuplicateJob(() -> transactions.inTransaction(tx -> {
      Optional<Hold> existing = find(tx, jobId);
      if (existing.isPresent()) {
        return sameHoldOrConflict(existing.get(), userId, amount);
      }
      Account account = amount.isPositive()
          ? store.lock(tx, userId, AccountKind.USER).orElseThrow(() -> CreditService.insufficient(CreditAmount.ZERO, amount))
          : store.openAndLock(tx, userId, AccountKind.USER);
      if (account.available().compareTo(amount) < 0) {
        throw CreditService.insufficient(account.available(), amount);
      }
      tx.insertInto(CREDIT_HOLDS)
          .set(CREDIT_HOLDS.JOB_ID, jobId)
          .set(CREDIT_HOLDS.ACCOUNT_ID, account.id())
          .set(CREDIT_HOLDS.AMOUNT, amount.units())
          .set(CREDIT_HOLDS.STATUS, HoldStatus.ACTIVE.name())
          .execute();
      store.changeHeld(tx, account.id(), amount);
      return new Hold(jobId, userId, amount, HoldStatus.ACTIVE, Optional.empty(), Optional.empty());
    }));
  }

  /**
   * Posts the held amount as USAGE: user -> job_holds (the user's one history row, reference =
   * job id), then job_holds -> the operator's earnings ({@code operatorSharePercent}, rounded
   * down) and job_holds -> platform revenue (the rest). {@code operatorId} is the operator's
   * user id, or null when the node has no operator: then all of it is platform revenue. Repeats
   * return the capture; capturing a released hold, or for another operator, is 409; no hold is 404.
   */
  public Hold capture(UUID jobId, UUID operatorId) {
    return transactions.inTransaction(tx -> {
      Hold hold = lockHold(tx, jobId);
      switch (hold.status()) {
        case CAPTURED -> {
          if (!hold.operatorId().equals(Optional.ofNullable(operatorId))) {
            throw new DomainException(Reason.IDEMPOTENCY_CONFLICT, "job " + jobId + " was captured for another operator");
          }
          return hold;
        }
        case RELEASED -> throw new DomainException(Reason.IDEMPOTENCY_CONFLICT, "the hold of job " + jobId + " was released");
        case ACTIVE -> {
          // fall through to the capture below
        }
      }
      Account user = store.lockById(tx, accountOf(tx, jobId));
      UUID jobHolds = SystemAccounts.jobHoldsFor(hold.userId());
      UUID platformRevenue = SystemAccounts.platformRevenueFor(hold.userId());
      UUID operatorAccount = operatorId == null ? null : store.open(tx, operatorId, AccountKind.OPERATOR_EARNINGS);
      store.changeHeld(tx, user.id(), hold.amount().negate());
      UUID usageEntry = null;
      if (hold.amount().isPositive()) {
        Optional<String> reference = Optional.of(jobId.toString());
        usageEntry = store.post(tx, new TransferRequest(user.id(), jobHolds, hold.amount(),
            EntrySource.USAGE, ReferenceOrigin.JOB, user.id(), reference, Optional.of("Job execution")))
            .referenceLeg().id();
        CreditAmount operatorShare =
            operatorAccount == null ? CreditAmount.ZERO : hold.amount().percent(operatorSharePercent);
        CreditAmount platformShare = hold.amount().minus(operatorShare);
        if (operatorShare.isPositive()) {
          store.post(tx, new TransferRequest(jobHolds, operatorAccount, operatorShare,
              EntrySource.USAGE, ReferenceOrigin.JOB, operatorAccount, reference, Optional.of("Operator earnings")));
        }
        if (platformShare.isPositive()) {
          store.post(tx, new TransferRequest(jobHolds, platformRevenue, platformShare,
              EntrySource.USAGE, ReferenceOrigin.JOB, platformRevenue, reference,
              Optional.of("Platform fee")));
        }
      }
      tx.update(CREDIT_HOLDS)
          .set(CREDIT_HOLDS.STATUS, HoldStatus.CAPTURED.name())
          .set(CREDIT_HOLDS.OPERATOR_ACCOUNT_ID, operatorAccount)
          .set(CREDIT_HOLDS.USAGE_ENTRY_ID, usageEntry)
          .set(CREDIT_HOLDS.RESOLVED_AT, DSL.currentOffsetDateTime())
          .where(CREDIT_HOLDS.JOB_ID.eq(jobId))
          .execute();
      return new Hold(jobId, hold.userId(), hold.amount(), HoldStatus.CAPTURED, Optional.ofNullable(operatorId),
          Optional.ofNullable(usageEntry));
    });
  }

  /** Returns the held amount to the user's available credits. Repeats are no-ops; releasing a captured hold is 409. */
  public Hold release(UUID jobId) {
    return transactions.inTransaction(tx -> {
      Hold hold = lockHold(tx, jobId);
      switch (hold.status()) {
        case RELEASED -> {
          return hold;
        }
        case CAPTURED -> throw new DomainException(Reason.IDEMPOTENCY_CONFLICT, "the hold of job " + jobId + " was captured");
        case ACTIVE -> {
          // release below
        }
      }
      Account user = store.lockById(tx, accountOf(tx, jobId));
      store.changeHeld(tx, user.id(), hold.amount().negate());
      tx.update(CREDIT_HOLDS)
          .set(CREDIT_HOLDS.STATUS, HoldStatus.RELEASED.name())
          .set(CREDIT_HOLDS.RESOLVED_AT, DSL.currentOffsetDateTime())
          .where(CREDIT_HOLDS.JOB_ID.eq(jobId))
          .execute();
      return new Hold(jobId, hold.userId(), hold.amount(), HoldStatus.RELEASED, Optional.empty(), Optional.empty());
    });
  }

  public Optional<Hold> find(UUID jobId) {
    return find(dsl, jobId);
  }

  private Optional<Hold> find(DSLContext tx, UUID jobId) {
    return holdQuery(tx, jobId).fetchOptional(this::toHold);
  }

  /**
   * Locks the hold, then reads it in a second statement: after waiting for a concurrent
   * resolution, only a new statement sees the rows that resolution committed (READ COMMITTED),
   * e.g. the operator account it opened.
   */
  private Hold lockHold(DSLContext tx, UUID jobId) {
    tx.select(CREDIT_HOLDS.JOB_ID).from(CREDIT_HOLDS).where(CREDIT_HOLDS.JOB_ID.eq(jobId)).forUpdate().fetchOptional()
        .orElseThrow(() -> new DomainException(Reason.NOT_FOUND, "no credit hold for job " + jobId));
    return find(tx, jobId).orElseThrow();
  }

  private static UUID accountOf(DSLContext tx, UUID jobId) {
    return tx.select(CREDIT_HOLDS.ACCOUNT_ID).from(CREDIT_HOLDS).where(CREDIT_HOLDS.JOB_ID.eq(jobId))
        .fetchSingle(CREDIT_HOLDS.ACCOUNT_ID);
  }

  private static SelectConditionStep<Record> holdQuery(DSLContext tx, UUID jobId) {
    var operator = CREDIT_ACCOUNTS.as("operator");
    return tx.select(CREDIT_HOLDS.asterisk(), CREDIT_ACCOUNTS.OWNER_ID, operator.OWNER_ID.as("operator_owner_id"))
        .from(CREDIT_HOLDS)
        .join(CREDIT_ACCOUNTS).on(CREDIT_ACCOUNTS.ID.eq(CREDIT_HOLDS.ACCOUNT_ID))
        .leftJoin(operator).on(operator.ID.eq(CREDIT_HOLDS.OPERATOR_ACCOUNT_ID))
        .where(CREDIT_HOLDS.JOB_ID.eq(jobId));
  }

  private Hold toHold(Record row) {
    return new Hold(row.get(CREDIT_HOLDS.JOB_ID), row.get(CREDIT_ACCOUNTS.OWNER_ID),
        new CreditAmount(row.get(CREDIT_HOLDS.AMOUNT)), HoldStatus.valueOf(row.get(CREDIT_HOLDS.STATUS)),
        Optional.ofNullable(row.get("operator_owner_id", UUID.class)),
        Optional.ofNullable(row.get(CREDIT_HOLDS.USAGE_ENTRY_ID)));
  }

  private static Hold sameHoldOrConflict(Hold existing, UUID userId, CreditAmount amount) {
    if (!existing.userId().equals(userId) || !existing.amount().equals(amount)) {
      throw new DomainException(Reason.IDEMPOTENCY_CONFLICT,
          "job " + existing.jobId() + " already holds a different amount or belongs to another user");
    }
    return existing;
  }

  /**
   * Two first holds for one job race past the existence check only when they lock different
   * accounts (different users); the loser's insert hits the primary key and one rerun answers
   * from the winner's row.
   */
  private static Hold retryingDuplicateJob(Supplier<Hold> attempt) {
    try {
      return attempt.get();
    } catch (DataAccessException e) {
      if ("23505".equals(Transactions.sqlState(e))) {
        return attempt.get();
      }
      throw e;
    }
  }
}
