package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ENTRIES;
import static com.rendertrust.server.db.Tables.CREDIT_SETTLEMENTS;
import static com.rendertrust.server.db.Tables.CREDIT_TRANSFERS;

import com.rendertrust.server.platform.db.Transactions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * An operator's earnings account as the ledger knows it: the balance, what jobs paid into it
 * (USAGE credits, less REFUND reversals), what left it as payouts (PAYOUT debits, less returned
 * payouts), and every job's movement on it. The shares batched captures owe the operator and
 * {@link ShareAccruals} has not paid yet count as earned and in the balance (a payout accrues them
 * first). The account opens with the operator's first earning; an operator without one has all
 * zeros.
 */
public final class OperatorEarnings {

  /** The account in sum: {@code balance = totalEarned - paidOut} (plus any adjustments). */
  public record Summary(CreditAmount balance, CreditAmount totalEarned, CreditAmount paidOut, List<JobEarning> jobs) {

    public Summary {
      jobs = List.copyOf(jobs);
    }
  }

  /** One job's signed movement on the earnings account (negative: a refund reversed it). */
  public record JobEarning(UUID jobId, CreditAmount amount, Instant createdAt) {
  }

  private final Transactions transactions;
  private final LedgerStore store = new LedgerStore();

  public OperatorEarnings(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
  }

  /** The summary with every job earning, newest first, read in one snapshot. */
  public Summary of(UUID operatorId) {
    return transactions.repeatable(dsl -> store.find(dsl, operatorId, AccountKind.OPERATOR_EARNINGS)
        .map(account -> summary(dsl, account))
        .orElseGet(() -> new Summary(CreditAmount.ZERO, CreditAmount.ZERO, CreditAmount.ZERO, List.of())));
  }

  private static Summary summary(DSLContext dsl, Account account) {
    var jobSources = CREDIT_TRANSFERS.SOURCE.in(EntrySource.USAGE.name(), EntrySource.REFUND.name());
    var signedSum = DSL.sum(CREDIT_ENTRIES.AMOUNT).cast(SQLDataType.BIGINT);
    var sums = dsl.select(
            DSL.coalesce(DSL.sum(DSL.when(jobSources, CREDIT_ENTRIES.AMOUNT)), DSL.inline(0)).cast(SQLDataType.BIGINT),
            DSL.coalesce(DSL.sum(DSL.when(CREDIT_TRANSFERS.SOURCE.eq(EntrySource.PAYOUT.name()), CREDIT_ENTRIES.AMOUNT)),
                DSL.inline(0)).cast(SQLDataType.BIGINT))
        .from(CREDIT_ENTRIES).join(CREDIT_TRANSFERS).on(CREDIT_TRANSFERS.ID.eq(CREDIT_ENTRIES.TRANSFER_ID))
        .where(CREDIT_ENTRIES.ACCOUNT_ID.eq(account.id()))
        .fetchSingle();
    // a job's share of a batched capture is its settlement row, accrued or not (an accrual's
    // transfer pays many jobs at once and is not a job's earning itself)
    var settled = dsl.select(CREDIT_SETTLEMENTS.HOLD_KEY, CREDIT_SETTLEMENTS.OPERATOR_SHARE,
            CREDIT_SETTLEMENTS.CREATED_AT, CREDIT_SETTLEMENTS.ACCRUAL_ID)
        .from(CREDIT_SETTLEMENTS)
        .where(CREDIT_SETTLEMENTS.OPERATOR_ACCOUNT_ID.eq(account.id()), CREDIT_SETTLEMENTS.OPERATOR_SHARE.gt(0L))
        .fetch();
    long owed = settled.stream().filter(row -> row.value4() == null).mapToLong(row -> row.value2()).sum();
    List<JobEarning> jobs = new ArrayList<>();
    settled.forEach(row -> jobs.add(new JobEarning(row.value1(), new CreditAmount(row.value2()),
        row.value3().toInstant())));
    dsl.select(CREDIT_TRANSFERS.REFERENCE_ID, signedSum, DSL.max(CREDIT_ENTRIES.CREATED_AT))
        .from(CREDIT_ENTRIES).join(CREDIT_TRANSFERS).on(CREDIT_TRANSFERS.ID.eq(CREDIT_ENTRIES.TRANSFER_ID))
        .where(CREDIT_ENTRIES.ACCOUNT_ID.eq(account.id()), jobSources, CREDIT_TRANSFERS.REFERENCE_ID.isNotNull(),
            CREDIT_TRANSFERS.ORIGIN.ne(ReferenceOrigin.ACCRUAL.name()))
        .groupBy(CREDIT_TRANSFERS.REFERENCE_ID, CREDIT_TRANSFERS.SOURCE)
        .fetch()
        .forEach(row -> jobId(row.value1()).ifPresent(job -> jobs.add(new JobEarning(job,
            new CreditAmount(row.value2()), row.value3().toInstant()))));
    jobs.sort(Comparator.comparing(JobEarning::createdAt).reversed());
    return new Summary(new CreditAmount(account.balance().units() + owed), new CreditAmount(sums.value1() + owed),
        new CreditAmount(-sums.value2()), jobs);
  }

  private static Optional<UUID> jobId(String reference) {
    try {
      return Optional.of(UUID.fromString(reference));
    } catch (IllegalArgumentException notAJob) {
      return Optional.empty();
    }
  }
}
