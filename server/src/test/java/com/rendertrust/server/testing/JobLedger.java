package com.rendertrust.server.testing;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_SETTLEMENTS;

import com.rendertrust.server.credits.AccountKind;
import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.credits.CreditService;
import com.rendertrust.server.credits.Hold;
import com.rendertrust.server.credits.HoldStatus;
import com.rendertrust.server.credits.JobHolds;
import com.rendertrust.server.credits.OperatorEarnings;
import com.rendertrust.server.credits.ShareAccruals;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * What jobs tests read from the REAL credits ledger, in the jobs feature's unit (ten-thousandths
 * of a credit): funding users, balances, a job's hold, operator earnings, platform revenue, and
 * the ledger invariants every money-moving test ends with.
 */
public final class JobLedger {

  private final DSLContext dsl;
  private final CreditService credits;
  private final JobHolds holds;

  public JobLedger(DSLContext dsl) {
    this.dsl = dsl;
    this.credits = new CreditService(dsl);
    this.holds = new JobHolds(dsl, 70);
  }

  public static JobLedger of(TestServer server) {
    return new JobLedger(server.controlPlane().database().dsl());
  }

  /** An administrator's adjustment: real money entering the user's account. */
  public void deposit(UUID userId, long tenThousandths) {
    credits.adjust(userId, new CreditAmount(tenThousandths), "test-deposit-" + UUID.randomUUID(), "test deposit");
  }

  /** A new user holding {@code tenThousandths}. */
  public UUID fundedUser(long tenThousandths) {
    UUID user = UUID.randomUUID();
    deposit(user, tenThousandths);
    return user;
  }

  public long balance(UUID userId) {
    return credits.balance(userId).units();
  }

  public long available(UUID userId) {
    return credits.available(userId).units();
  }

  /** The job's hold, if one was ever placed. */
  public Optional<Hold> hold(UUID jobId) {
    return holds.find(jobId);
  }

  public HoldStatus holdStatus(UUID jobId) {
    return holds.find(jobId).map(Hold::status).orElseThrow(() -> new AssertionError("no hold for job " + jobId));
  }

  public int holdCount() {
    return dsl.fetchCount(com.rendertrust.server.db.Tables.CREDIT_HOLDS);
  }

  /**
   * The operator's earnings as it sees them ({@link OperatorEarnings}): its earnings account's
   * balance (0 before its first earning) plus the shares batched captures owe it.
   */
  public long earnings(UUID operatorUserId) {
    return new OperatorEarnings(dsl).of(operatorUserId).balance().units();
  }

  /** The balance of the owner's account of that kind alone (0 before it opens): what the ledger posted. */
  public long accountBalance(UUID ownerId, AccountKind kind) {
    return sumOf(CREDIT_ACCOUNTS.OWNER_ID.eq(ownerId).and(CREDIT_ACCOUNTS.KIND.eq(kind.name())));
  }

  /**
   * Balance of all platform revenue accounts (the account is sharded), plus the fees owed to them,
   * read in one statement: the server's accruals move owed fees into the accounts every second, and
   * an accrual committed between two separate reads would hide what it moved from both.
   */
  public long platformRevenue() {
    var balances = DSL.select(DSL.coalesce(DSL.sum(CREDIT_ACCOUNTS.BALANCE), java.math.BigDecimal.ZERO))
        .from(CREDIT_ACCOUNTS).where(CREDIT_ACCOUNTS.KIND.eq(AccountKind.PLATFORM_REVENUE.name()));
    var owed = DSL.select(DSL.coalesce(DSL.sum(CREDIT_SETTLEMENTS.PLATFORM_SHARE), java.math.BigDecimal.ZERO))
        .from(CREDIT_SETTLEMENTS).where(CREDIT_SETTLEMENTS.ACCRUAL_ID.isNull());
    return dsl.select(DSL.field(balances).plus(DSL.field(owed))).fetchOne(0, java.math.BigDecimal.class)
        .longValueExact();
  }

  /** Pays every share owed now (what the server's accruals do every second). */
  public int accrueShares() {
    return new ShareAccruals(dsl).accrueDue();
  }

  public void checkInvariants() {
    LedgerAssertions.assertLedgerInvariants(dsl);
  }

  private long sumOf(org.jooq.Condition accounts) {
    return dsl.select(DSL.coalesce(DSL.sum(CREDIT_ACCOUNTS.BALANCE), java.math.BigDecimal.ZERO))
        .from(CREDIT_ACCOUNTS).where(accounts).fetchOne(0, java.math.BigDecimal.class).longValueExact();
  }
}
