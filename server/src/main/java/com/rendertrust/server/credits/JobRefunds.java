package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_HOLDS;
import static com.rendertrust.server.db.Tables.CREDIT_SETTLEMENTS;
import static com.rendertrust.server.db.Tables.CREDIT_TRANSFERS;

import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * An administrator's refund of a captured job: its whole price goes back to the user as one
 * REFUND entry (reference = the job id), paid out of the job holds shard, which is first refilled
 * from where the capture sent the money: the platform's share back out of platform revenue, each
 * operator's share back out of its earnings as far as they are unpaid, and what an operator was
 * already paid out booked as a platform loss (from the ADJUSTMENTS clearing account). One
 * transaction; idempotent per job (a repeat answers the first refund).
 */
public final class JobRefunds {

  /** The user's REFUND entry, what came back out of operators' earnings, and the platform's loss. */
  public record Refund(UUID userId, LedgerEntry entry, CreditAmount reversedFromOperators, CreditAmount platformLoss,
      boolean repeated) {
  }

  private final Transactions transactions;
  private final LedgerStore store = new LedgerStore();

  public JobRefunds(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
  }

  /** 409 JOB_NOT_REFUNDABLE when the job has no CAPTURED hold (nothing was charged). */
  public Refund refund(UUID jobId, String reason) {
    Optional<String> description = TextFields.description("reason", "Refund: " + reason);
    return transactions.inTransaction(tx -> {
      var hold = tx.selectFrom(CREDIT_HOLDS).where(CREDIT_HOLDS.JOB_ID.eq(jobId)).forUpdate().fetchOptional()
          .filter(row -> HoldStatus.CAPTURED.name().equals(row.getStatus()) && row.getAmount() > 0)
          .orElseThrow(() -> new DomainException(Reason.JOB_NOT_REFUNDABLE,
              "job " + jobId + " has no captured price to refund"));
      Account user = store.lockById(tx, hold.getAccountId()); // lock order: the user's account first
      String reference = jobId.toString();
      Optional<PostedTransfer> earlier = store.findByReference(tx, user.id(), EntrySource.REFUND, ReferenceOrigin.ADMIN,
          reference);
      if (earlier.isPresent()) {
        return new Refund(user.ownerId(), earlier.get().referenceLeg(), CreditAmount.ZERO, CreditAmount.ZERO, true);
      }
      UUID holds = SystemAccounts.jobHoldsFor(user.ownerId());
      ShareAccruals.accrueJobWithin(tx, jobId); // its shares paid, so they can be taken back
      List<Leg> legs = captureLegs(tx, jobId);
      long reversed = 0;
      long loss = 0;
      long platform = 0;
      List<Leg> operators = new ArrayList<>(legs.stream().filter(leg -> leg.kind() == AccountKind.OPERATOR_EARNINGS)
          .sorted(Comparator.comparing(Leg::account)).toList());
      for (Leg leg : operators) {
        Account earnings = store.lockById(tx, leg.account());
        long back = Math.min(leg.amount(), Math.max(0, earnings.available().units()));
        if (back > 0) {
          store.post(tx, new TransferRequest(earnings.id(), holds, new CreditAmount(back), EntrySource.REFUND,
              ReferenceOrigin.ADMIN, earnings.id(), Optional.of(reference),
              Optional.of("Refund of job " + reference + ": operator share reversed")));
        }
        reversed += back;
        loss += leg.amount() - back;
      }
      for (Leg leg : legs) {
        if (leg.kind() == AccountKind.PLATFORM_REVENUE) {
          store.post(tx, new TransferRequest(leg.account(), holds, new CreditAmount(leg.amount()), EntrySource.REFUND,
              ReferenceOrigin.ADMIN, leg.account(), Optional.of(reference),
              Optional.of("Refund of job " + reference + ": platform share")));
          platform += leg.amount();
        }
      }
      if (loss > 0) {
        store.post(tx, new TransferRequest(SystemAccounts.ADJUSTMENTS, holds, new CreditAmount(loss),
            EntrySource.REFUND, ReferenceOrigin.ADMIN, SystemAccounts.ADJUSTMENTS, Optional.of(reference),
            Optional.of("Platform loss: operator share of job " + reference + " already paid out")));
      }
      if (reversed + loss + platform != hold.getAmount()) {
        throw new IllegalStateException("the capture of job " + jobId + " does not add up to its price "
            + hold.getAmount() + ": " + (reversed + loss + platform));
      }
      PostedTransfer refund = store.post(tx, new TransferRequest(holds, user.id(), new CreditAmount(hold.getAmount()),
          EntrySource.REFUND, ReferenceOrigin.ADMIN, user.id(), Optional.of(reference), description));
      return new Refund(user.ownerId(), refund.referenceLeg(), new CreditAmount(reversed), new CreditAmount(loss), false);
    });
  }

  /** A capture's credit to an earnings or platform account. */
  private record Leg(UUID account, AccountKind kind, long amount) {
  }

  /**
   * Where the job's capture sent the money: its USAGE transfers out of the job holds shard, or the
   * shares of its settlement row (a batched capture; accrued by then).
   */
  private static List<Leg> captureLegs(DSLContext tx, UUID jobId) {
    List<Leg> legs = new ArrayList<>(tx.select(CREDIT_TRANSFERS.CREDIT_ACCOUNT_ID, CREDIT_ACCOUNTS.KIND,
            CREDIT_TRANSFERS.AMOUNT)
        .from(CREDIT_TRANSFERS).join(CREDIT_ACCOUNTS).on(CREDIT_ACCOUNTS.ID.eq(CREDIT_TRANSFERS.CREDIT_ACCOUNT_ID))
        .where(CREDIT_TRANSFERS.REFERENCE_ID.eq(jobId.toString()),
            CREDIT_TRANSFERS.SOURCE.eq(EntrySource.USAGE.name()),
            CREDIT_TRANSFERS.ORIGIN.eq(ReferenceOrigin.JOB.name()),
            CREDIT_ACCOUNTS.KIND.in(AccountKind.OPERATOR_EARNINGS.name(), AccountKind.PLATFORM_REVENUE.name()))
        .fetch(row -> new Leg(row.value1(), AccountKind.valueOf(row.value2()), row.value3())));
    tx.selectFrom(CREDIT_SETTLEMENTS).where(CREDIT_SETTLEMENTS.HOLD_KEY.eq(jobId)).fetchOptional()
        .ifPresent(settlement -> {
          if (settlement.getOperatorShare() > 0) {
            legs.add(new Leg(settlement.getOperatorAccountId(), AccountKind.OPERATOR_EARNINGS,
                settlement.getOperatorShare()));
          }
          if (settlement.getPlatformShare() > 0) {
            legs.add(new Leg(settlement.getPlatformAccountId(), AccountKind.PLATFORM_REVENUE,
                settlement.getPlatformShare()));
          }
        });
    return legs;
  }
}
