package com.rendertrust.server.credits;

import static com.rendertrust.server.db.Tables.CREDIT_ACCOUNTS;
import static com.rendertrust.server.db.Tables.CREDIT_HOLDS;

import com.rendertrust.server.db.Routines;
import com.rendertrust.server.db.tables.records.CreditHoldCaptureRecord;
import com.rendertrust.server.platform.db.PreparedSql;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>{@link #hold}, {@link #capture} and {@link #release} are each one atomic step in their own
 * transaction. Their {@code ...Within} forms join the caller's transaction instead, so the jobs
 * flow moves the money in the same commit as the job's state: hold and capture are then one
 * round trip each (functions {@code credit_hold_place}, V7, and {@code credit_hold_capture}, V11).
 */
public final class JobHolds {

  private final DSLContext dsl;
  private final Transactions transactions;
  private final LedgerStore store = new LedgerStore();
  private final int operatorSharePercent;
  private final Map<UUID, UUID> operatorAccounts = new ConcurrentHashMap<>();

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
    checkAmount(amount);
    return retryingDuplicateJob(() -> transactions.inTransaction(tx -> holdWithin(tx, jobId, userId, amount)));
  }

  /**
   * {@link #hold} inside the caller's transaction: the hold commits or rolls back with the
   * caller's other writes (the jobs flow places it with the job row). Throws like {@link #hold};
   * a refused hold writes nothing, so the caller's transaction stays usable.
   */
  public Hold holdWithin(DSLContext tx, UUID jobId, UUID userId, CreditAmount amount) {
    checkAmount(amount);
    if (!amount.isPositive()) {
      return holdNothing(tx, jobId, userId, amount);
    }
    // rendered once: every priced submission places a hold (PreparedSql)
    Placed row = PLACE.fetch(tx, result -> new Placed(result.getString(1), result.getLong(2)), jobId, userId,
        amount.units()).getFirst();
    CreditAmount available = new CreditAmount(row.available());
    return switch (row.outcome()) {
      case "HELD" -> new Hold(jobId, userId, amount, HoldStatus.ACTIVE, Optional.empty(), Optional.empty());
      case "EXISTS" -> sameHoldOrConflict(find(tx, jobId).orElseThrow(), userId, amount);
      case "NO_ACCOUNT" -> find(tx, jobId).map(existing -> sameHoldOrConflict(existing, userId, amount))
          .orElseThrow(() -> CreditService.insufficient(CreditAmount.ZERO, amount));
      case "INSUFFICIENT" -> throw CreditService.insufficient(available, amount);
      default -> throw new IllegalStateException("credit_hold_place answered " + row.outcome());
    };
  }

  private record Placed(String outcome, long available) {
  }

  /** One hold of a batch placed by {@link #holdAllWithin}: {@code amount} (> 0) of the user's credits for the job. */
  public record Placing(UUID jobId, UUID userId, CreditAmount amount) {
  }

  /**
   * {@link #holdWithin} for a batch of holds, in one round trip ({@code credit_holds_place_all},
   * migration V20): each user's account locked and its held amount moved once. Answers each
   * placing at its index: true when held, false when nothing was written for it (the user's
   * credits ran short from it on, no account, or the job has a hold): {@link #holdWithin} then
   * answers it exactly (402, the existing hold, or 409).
   */
  public List<Boolean> holdAllWithin(DSLContext tx, List<Placing> placings) {
    placings.forEach(placing -> checkAmount(placing.amount()));
    List<Boolean> held = PLACE_ALL.fetch(tx, row -> "HELD".equals(row.getString(2)),
        placings.stream().map(Placing::jobId).toArray(UUID[]::new),
        placings.stream().map(Placing::userId).toArray(UUID[]::new),
        placings.stream().map(placing -> placing.amount().units()).toArray(Long[]::new));
    if (held.size() != placings.size()) {
      throw new IllegalStateException("credit_holds_place_all answered " + held.size() + " of " + placings.size());
    }
    return held;
  }

  private static final PreparedSql PLACE_ALL = new PreparedSql("""
      SELECT job_id, outcome FROM credit_holds_place_all(CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS bigint[]))""");

  private static final PreparedSql PLACE = new PreparedSql(
      "SELECT outcome, available FROM credit_hold_place(CAST(? AS uuid), CAST(? AS uuid), CAST(? AS bigint))");
  private static final PreparedSql SETTLE = new PreparedSql("""
      SELECT outcome, usage_entry_id
        FROM credit_hold_settle(CAST(? AS uuid), CAST(? AS uuid), CAST(? AS uuid), CAST(? AS uuid), CAST(? AS uuid[]),
                                CAST(? AS bigint[]), CAST(? AS bigint), CAST(? AS integer), CAST(? AS bigint))""");

  private record Settled(String outcome, UUID usageEntryId) {
  }

  /** A zero hold (a free job's bookkeeping): opens the user's account if it has none. */
  private Hold holdNothing(DSLContext tx, UUID jobId, UUID userId, CreditAmount amount) {
    Optional<Hold> existing = find(tx, jobId);
    if (existing.isPresent()) {
      return sameHoldOrConflict(existing.get(), userId, amount);
    }
    Account account = store.openAndLock(tx, userId, AccountKind.USER);
    tx.insertInto(CREDIT_HOLDS)
        .set(CREDIT_HOLDS.JOB_ID, jobId)
        .set(CREDIT_HOLDS.ACCOUNT_ID, account.id())
        .set(CREDIT_HOLDS.AMOUNT, amount.units())
        .set(CREDIT_HOLDS.STATUS, HoldStatus.ACTIVE.name())
        .execute();
    return new Hold(jobId, userId, amount, HoldStatus.ACTIVE, Optional.empty(), Optional.empty());
  }

  private static void checkAmount(CreditAmount amount) {
    if (amount.units() < 0 || amount.compareTo(CreditAmount.MAX_TRANSFER) > 0) {
      throw new IllegalArgumentException("hold amount must be 0.." + CreditAmount.MAX_TRANSFER + ", got " + amount);
    }
  }

  /**
   * Posts the held amount as USAGE: user -> job_holds (the user's one history row, reference =
   * job id), then job_holds -> the operator's earnings ({@code operatorSharePercent}, rounded
   * down) and job_holds -> platform revenue (the rest). {@code operatorId} is the operator's
   * user id, or null when the node has no operator: then all of it is platform revenue. Repeats
   * return the capture; capturing a released hold, or for another operator, is 409; no hold is 404.
   */
  public Hold capture(UUID jobId, UUID operatorId) {
    return captureSplit(jobId, WorkSplit.solely(operatorId));
  }

  /**
   * {@link #capture} for work done by several operators: each earns {@code operatorSharePercent}
   * of its part of the amount (rounded down), the platform the rest. Repeats return the capture;
   * a repeat naming another sole operator is 409.
   */
  public Hold captureSplit(UUID jobId, WorkSplit work) {
    return transactions.inTransaction(tx -> {
      Hold hold = find(tx, jobId).orElseThrow(() -> noHold(jobId));
      return captureSplitWithin(tx, jobId, hold.userId(), work);
    });
  }

  /** {@link #captureSplitWithin} for one operator (null: none). */
  public Hold captureWithin(DSLContext tx, UUID jobId, UUID userId, UUID operatorId) {
    return captureSplitWithin(tx, jobId, userId, WorkSplit.solely(operatorId));
  }

  /**
   * {@link #captureSplit} inside the caller's transaction, in one round trip when the hold is ACTIVE
   * ({@code credit_hold_capture}, migration V11: one posting per paid operator). {@code userId}
   * is the job's owner, whose shards the capture passes through; the database checks it is the
   * hold's owner.
   */
  public Hold captureSplitWithin(DSLContext tx, UUID jobId, UUID userId, WorkSplit work) {
    List<Map.Entry<UUID, Long>> operators = List.copyOf(work.workByOperator().entrySet());
    UUID[] accounts = new UUID[operators.size()];
    Long[] operatorWork = new Long[operators.size()];
    for (int i = 0; i < operators.size(); i++) {
      accounts[i] = operatorAccount(tx, operators.get(i).getKey());
      operatorWork[i] = operators.get(i).getValue();
    }
    CreditHoldCaptureRecord row = tx.selectFrom(Routines.creditHoldCapture(jobId, userId,
        SystemAccounts.jobHoldsFor(userId), SystemAccounts.platformRevenueFor(userId), accounts, operatorWork,
        work.totalWork(), operatorSharePercent)).fetchSingle();
    Optional<UUID> soleOperator = work.soleOperator();
    if ("CAPTURED".equals(row.getOutcome())) {
      return new Hold(jobId, userId, new CreditAmount(row.getAmount()), HoldStatus.CAPTURED,
          soleOperator, Optional.ofNullable(row.getUsageEntryId()));
    }
    Hold hold = lockHold(tx, jobId);
    return switch (hold.status()) {
      case CAPTURED -> {
        if (!hold.operatorId().equals(soleOperator)) {
          throw new DomainException(Reason.IDEMPOTENCY_CONFLICT, "job " + jobId + " was captured for another operator");
        }
        yield hold;
      }
      case RELEASED -> throw new DomainException(Reason.IDEMPOTENCY_CONFLICT, "the hold of job " + jobId + " was released");
      case ACTIVE -> throw new IllegalStateException("the ACTIVE hold of job " + jobId + " was not captured");
    };
  }

  /**
   * Settles the job's hold in one step inside the caller's transaction ({@code credit_hold_settle},
   * migration V14): captures {@code capture} (0..the held amount) as USAGE, split by {@code work}
   * like {@link #captureSplitWithin}, and returns the rest to the user; a capture of 0 releases the
   * whole hold. Repeats answer the earlier settlement (its captured amount, whatever {@code
   * capture} says now); no hold is 404.
   */
  public Hold settleWithin(DSLContext tx, UUID holdKey, UUID userId, WorkSplit work, CreditAmount capture) {
    List<Map.Entry<UUID, Long>> operators = List.copyOf(work.workByOperator().entrySet());
    UUID[] accounts = new UUID[operators.size()];
    Long[] operatorWork = new Long[operators.size()];
    for (int i = 0; i < operators.size(); i++) {
      accounts[i] = operatorAccount(tx, operators.get(i).getKey());
      operatorWork[i] = operators.get(i).getValue();
    }
    Settled row = SETTLE.fetch(tx, result -> new Settled(result.getString(1), PreparedSql.uuid(result, 2)), holdKey,
        userId, SystemAccounts.jobHoldsFor(userId), SystemAccounts.platformRevenueFor(userId), accounts, operatorWork,
        work.totalWork(), operatorSharePercent, capture.units()).getFirst();
    return switch (row.outcome()) {
      case "CAPTURED" -> new Hold(holdKey, userId, capture, HoldStatus.CAPTURED, work.soleOperator(),
          Optional.ofNullable(row.usageEntryId()));
      case "RELEASED" -> new Hold(holdKey, userId, CreditAmount.ZERO, HoldStatus.RELEASED, Optional.empty(),
          Optional.empty());
      default -> {
        Hold hold = lockHold(tx, holdKey);
        yield hold.status() == HoldStatus.RELEASED
            ? new Hold(holdKey, hold.userId(), CreditAmount.ZERO, HoldStatus.RELEASED, Optional.empty(), Optional.empty())
            : new Hold(holdKey, hold.userId(), capturedOf(tx, holdKey), hold.status(), hold.operatorId(),
                hold.usageEntryId());
      }
    };
  }

  /** One hold of a batch settled by {@link #captureAllWithin}: captured whole work of one operator (null: none). */
  public record SoleCapture(UUID holdKey, UUID userId, UUID operatorId, CreditAmount capture) {
  }

  /**
   * {@link #settleWithin} for a batch of holds each settled for one operator's work, in one round
   * trip ({@code credit_holds_capture_all}, migration V19): the same transfers per hold, posted
   * set-based (each account moved once for the whole batch). Answers each capture at its index:
   * the settled hold, or empty when the hold was not ACTIVE (missing or resolved before; nothing
   * was written for it and the caller answers it with {@link #settleWithin}). A batch the database
   * refuses (a capture over its hold, a reference taken) throws and writes nothing.
   */
  public List<Optional<Hold>> captureAllWithin(DSLContext tx, List<SoleCapture> captures) {
    List<SoleCapture> sorted = new ArrayList<>(captures);
    sorted.sort(Comparator.comparing(SoleCapture::holdKey)); // the order the holds are locked in
    int count = sorted.size();
    UUID[] keys = new UUID[count];
    UUID[] owners = new UUID[count];
    UUID[] shards = new UUID[count];
    UUID[] platform = new UUID[count];
    UUID[] operators = new UUID[count];
    Long[] amounts = new Long[count];
    for (int i = 0; i < count; i++) {
      SoleCapture capture = sorted.get(i);
      checkAmount(capture.capture());
      keys[i] = capture.holdKey();
      owners[i] = capture.userId();
      shards[i] = SystemAccounts.jobHoldsFor(capture.userId());
      platform[i] = SystemAccounts.platformRevenueFor(capture.userId());
      operators[i] = capture.operatorId() == null ? null : operatorAccount(tx, capture.operatorId());
      amounts[i] = capture.capture().units();
    }
    Map<UUID, Settled> settled = new HashMap<>();
    CAPTURE_ALL.fetch(tx, row -> settled.put(PreparedSql.uuid(row, 1),
        new Settled(row.getString(2), PreparedSql.uuid(row, 3))), keys, owners, shards, platform, operators, amounts,
        operatorSharePercent);
    List<Optional<Hold>> holds = new ArrayList<>(captures.size());
    for (SoleCapture capture : captures) {
      Settled row = settled.get(capture.holdKey());
      holds.add(switch (row.outcome()) {
        case "CAPTURED" -> Optional.of(new Hold(capture.holdKey(), capture.userId(), capture.capture(),
            HoldStatus.CAPTURED, Optional.ofNullable(capture.operatorId()), Optional.ofNullable(row.usageEntryId())));
        case "RELEASED" -> Optional.of(new Hold(capture.holdKey(), capture.userId(), CreditAmount.ZERO,
            HoldStatus.RELEASED, Optional.empty(), Optional.empty()));
        default -> Optional.empty();
      });
    }
    return holds;
  }

  private static final PreparedSql CAPTURE_ALL = new PreparedSql("""
      SELECT hold_key, outcome, usage_entry_id
        FROM credit_holds_capture_all(CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS uuid[]), CAST(? AS uuid[]),
                                      CAST(? AS uuid[]), CAST(? AS bigint[]), CAST(? AS integer))""");

  /** What a resolved hold captured: its {@code captured} amount, or all of it for a full capture. */
  private static CreditAmount capturedOf(DSLContext tx, UUID holdKey) {
    var row = tx.select(CREDIT_HOLDS.AMOUNT, CREDIT_HOLDS.CAPTURED).from(CREDIT_HOLDS)
        .where(CREDIT_HOLDS.JOB_ID.eq(holdKey)).fetchSingle();
    return new CreditAmount(row.value2() != null ? row.value2() : row.value1());
  }

  /** The user's available credits (balance minus active holds), read within {@code tx}; 0 without an account. */
  public CreditAmount available(DSLContext tx, UUID userId) {
    return store.find(tx, userId, AccountKind.USER).map(Account::available).orElse(CreditAmount.ZERO);
  }

  /**
   * The operator's earnings account, opened on first use. Accounts are never deleted, so an id
   * read from a committed row stays valid and is remembered (one round trip less per capture).
   */
  private UUID operatorAccount(DSLContext tx, UUID operatorId) {
    UUID known = operatorAccounts.get(operatorId);
    if (known != null) {
      return known;
    }
    Optional<Account> existing = store.find(tx, operatorId, AccountKind.OPERATOR_EARNINGS);
    if (existing.isPresent()) {
      operatorAccounts.put(operatorId, existing.get().id());
      return existing.get().id();
    }
    return store.open(tx, operatorId, AccountKind.OPERATOR_EARNINGS);
  }

  /** Returns the held amount to the user's available credits. Repeats are no-ops; releasing a captured hold is 409. */
  public Hold release(UUID jobId) {
    return transactions.inTransaction(tx -> releaseWithin(tx, jobId));
  }

  /** {@link #release} inside the caller's transaction. */
  public Hold releaseWithin(DSLContext tx, UUID jobId) {
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
        .orElseThrow(() -> noHold(jobId));
    return find(tx, jobId).orElseThrow();
  }

  private static DomainException noHold(UUID jobId) {
    return new DomainException(Reason.NOT_FOUND, "no credit hold for job " + jobId);
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
