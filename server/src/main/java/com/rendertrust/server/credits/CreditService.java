package com.rendertrust.server.credits;

import com.rendertrust.server.platform.db.GroupCommit;
import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * A user's credit account: balance, history, manual deductions and administrative
 * adjustments. User accounts open on first use; a user without one has balance 0.
 */
public final class CreditService {

  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 200;

  private final Transactions transactions;
  private final LedgerStore store = new LedgerStore();
  private final DeductionBatch deductions;

  public CreditService(DSLContext dsl) {
    this.transactions = new Transactions(dsl);
    this.deductions = new DeductionBatch(transactions, store);
  }

  /** The user's posted balance (active holds not subtracted). */
  public CreditAmount balance(UUID userId) {
    return transactions.repeatable(dsl -> store.find(dsl, userId, AccountKind.USER))
        .map(Account::balance).orElse(CreditAmount.ZERO);
  }

  /** Balance minus active holds: what the next deduction or job hold may use. */
  public CreditAmount available(UUID userId) {
    return transactions.repeatable(dsl -> store.find(dsl, userId, AccountKind.USER))
        .map(Account::available).orElse(CreditAmount.ZERO);
  }

  /**
   * One page of the user's entries, newest first. {@code limit} 0 means the default (50);
   * 422 for a limit outside 0..200 or a negative offset.
   */
  public HistoryPage history(UUID userId, int limit, int offset) {
    if (limit < 0 || limit > MAX_PAGE_SIZE) {
      throw new DomainException(Reason.VALIDATION_FAILED, "limit must be between 1 and " + MAX_PAGE_SIZE,
          Map.of("field", "limit"));
    }
    if (offset < 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "offset must not be negative", Map.of("field", "offset"));
    }
    int pageSize = limit == 0 ? DEFAULT_PAGE_SIZE : limit;
    return transactions.repeatable(dsl -> store.find(dsl, userId, AccountKind.USER)
        .map(account -> store.history(dsl, account.id(), pageSize, offset))
        .orElseGet(() -> new HistoryPage(List.of(), 0)));
  }

  /**
   * Moves the amount from the user's account to (its shard of) platform revenue as USAGE. With a reference,
   * a retry with the same amount returns the first entry (even once the money is spent) and a
   * different amount is 409 IDEMPOTENCY_CONFLICT; 402 INSUFFICIENT_CREDITS when the available
   * amount is short. One statement does the work ({@code credit_debit_user}): under the
   * account's row lock it checks the available amount and posts, and the unique reference key
   * decides replays; the no-overdraft CHECK constraint backs the check up. Concurrent deductions
   * are written together ({@link DeductionBatch}: the same statement for each, in one statement
   * and one commit); a batch that fails without writing leaves each to run alone. The
   * stored-reference lookup only runs on the rare paths (replay, conflict, refusal). 503 when the
   * database connection was lost and whether the deduction was written is unknown.
   */
  public LedgerEntry deduct(UUID userId, Deduction deduction) {
    LedgerStore.UserDebit request = new LedgerStore.UserDebit(userId, SystemAccounts.platformRevenueFor(userId),
        deduction.amount(), EntrySource.USAGE, ReferenceOrigin.CLIENT, deduction.referenceId(),
        deduction.description());
    LedgerStore.Debit debit = deductions.debit(request).orElseGet(() -> {
      Function<DSLContext, LedgerStore.Debit> debitStatement = dsl -> store.debitUser(dsl, request);
      // With a reference, a repeat after a lost answer is a replay (REFERENCE_TAKEN), never a second charge.
      return deduction.referenceId().isPresent()
          ? transactions.repeatable(debitStatement) : transactions.singleStatement(debitStatement);
    });
    return switch (debit.outcome()) {
      case POSTED -> debit.userLeg().orElseThrow();
      case NO_ACCOUNT -> throw insufficient(CreditAmount.ZERO, deduction.amount());
      case INSUFFICIENT -> earlierDeduction(userId, deduction)
          .orElseThrow(() -> insufficient(debit.available(), deduction.amount()));
      case REFERENCE_TAKEN -> earlierDeduction(userId, deduction)
          .orElseThrow(() -> new IllegalStateException("reference taken but not found"));
    };
  }

  /** The deductions written by batches since start, and the batches: their ratio is the mean batch size. */
  public GroupCommit.Written batchedDeductions() {
    return deductions.written();
  }

  /** The entry an earlier deduction with the same reference produced: a replay if the amount matches, else 409. */
  private Optional<LedgerEntry> earlierDeduction(UUID userId, Deduction deduction) {
    if (deduction.referenceId().isEmpty()) {
      return Optional.empty();
    }
    return transactions.repeatable(dsl -> store.find(dsl, userId, AccountKind.USER)
        .flatMap(account -> store.findByReference(dsl, account.id(), EntrySource.USAGE, ReferenceOrigin.CLIENT,
            deduction.referenceId().get())))
        .map(earlier -> sameAmountOrConflict(earlier, deduction.amount()));
  }

  /**
   * An administrator's correction: a positive amount credits the user (from the ADJUSTMENTS
   * account), a negative one debits it (402 when that would overdraw). Idempotent on
   * {@code referenceId} like a deduction. No RPC calls it yet (the contracts have no admin
   * service); tests and benchmarks fund accounts with it.
   */
  public LedgerEntry adjust(UUID userId, CreditAmount signedAmount, String referenceId, String description) {
    if (signedAmount.units() == 0 || signedAmount.abs().compareTo(CreditAmount.MAX_TRANSFER) > 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "adjustment must be non-zero and at most "
          + CreditAmount.MAX_TRANSFER.toWire(), Map.of("field", "amount"));
    }
    Optional<String> reference = TextFields.reference("reference_id", referenceId);
    Optional<String> text = TextFields.description("description", description);
    boolean credit = signedAmount.isPositive();
    CreditAmount amount = signedAmount.abs();
    return transactions.inTransaction(tx -> {
      Account account = store.openAndLock(tx, userId, AccountKind.USER);
      TransferRequest request = credit
          ? new TransferRequest(SystemAccounts.ADJUSTMENTS, account.id(), amount, EntrySource.ADJUSTMENT,
              ReferenceOrigin.ADMIN, account.id(), reference, text)
          : new TransferRequest(account.id(), SystemAccounts.ADJUSTMENTS, amount, EntrySource.ADJUSTMENT,
              ReferenceOrigin.ADMIN, account.id(), reference, text);
      if (!credit && account.available().compareTo(amount) < 0) {
        return earlierOrThrow(tx, request, insufficient(account.available(), amount));
      }
      return postOrReplay(tx, request);
    });
  }

  /**
   * Returns {@code amount} to the user after a capture (an administrator's refund of a job or a
   * charge): ADJUSTMENTS -> the user's account as source REFUND, so history tells it from a
   * purchase or an adjustment. Idempotent on {@code referenceId} (the same entry again; another
   * amount is 409). 422 for an amount that is not positive or over the transfer maximum.
   */
  public LedgerEntry refund(UUID userId, CreditAmount amount, String referenceId, String description) {
    if (!amount.isPositive() || amount.compareTo(CreditAmount.MAX_TRANSFER) > 0) {
      throw new DomainException(Reason.VALIDATION_FAILED, "a refund must be positive and at most "
          + CreditAmount.MAX_TRANSFER.toWire(), Map.of("field", "amount"));
    }
    Optional<String> reference = TextFields.reference("reference_id", referenceId);
    Optional<String> text = TextFields.description("description", description);
    return transactions.inTransaction(tx -> {
      Account account = store.openAndLock(tx, userId, AccountKind.USER);
      return postOrReplay(tx, new TransferRequest(SystemAccounts.ADJUSTMENTS, account.id(), amount, EntrySource.REFUND,
          ReferenceOrigin.ADMIN, account.id(), reference, text));
    });
  }

  /**
   * Credits a paid Checkout session's package: STRIPE_CLEARING -> the user's account (opened if
   * needed) as PURCHASE, reference = the session id. Runs inside the caller's transaction
   * ({@code tx}), which also records the webhook event and marks the checkout paid, so the
   * three commit together. Idempotent on the session id (unique per account, source, origin).
   */
  public LedgerEntry postPurchase(DSLContext tx, UUID userId, CreditAmount credits, String sessionId,
      String description) {
    Account account = store.openAndLock(tx, userId, AccountKind.USER);
    return postOrReplay(tx, new TransferRequest(SystemAccounts.STRIPE_CLEARING, account.id(), credits,
        EntrySource.PURCHASE, ReferenceOrigin.CHECKOUT, account.id(), Optional.of(sessionId),
        Optional.of(description)));
  }

  /**
   * Credits a confirmed token deposit: CHAIN_CLEARING -> the user's account (opened if needed) as
   * DEPOSIT, reference "<tx hash>:<log index>" (origin CHAIN), inside the caller's transaction,
   * which also marks the deposit CONFIRMED. Idempotent on the reference.
   */
  public LedgerEntry postDeposit(DSLContext tx, UUID userId, CreditAmount credits, String logReference,
      String description) {
    Account account = store.openAndLock(tx, userId, AccountKind.USER);
    return postOrReplay(tx, new TransferRequest(SystemAccounts.CHAIN_CLEARING, account.id(), credits,
        EntrySource.DEPOSIT, ReferenceOrigin.CHAIN, account.id(), Optional.of(logReference),
        Optional.of(description)));
  }

  /**
   * Reserves an operator payout: the operator's earnings -> PAYOUTS_CLEARING as PAYOUT (origin
   * PAYOUT, reference the payout id), inside the caller's transaction, which also records the
   * payout. 402 INSUFFICIENT_CREDITS when the earnings are short.
   */
  public LedgerEntry reservePayout(DSLContext tx, UUID operatorId, CreditAmount amount, UUID payoutId) {
    // the shares owed to the operator are paid first, so all of its earnings can be paid out
    store.find(tx, operatorId, AccountKind.OPERATOR_EARNINGS)
        .ifPresent(account -> ShareAccruals.accrueOperatorWithin(tx, account.id()));
    Account earnings = store.openAndLock(tx, operatorId, AccountKind.OPERATOR_EARNINGS);
    TransferRequest request = new TransferRequest(earnings.id(), SystemAccounts.PAYOUTS_CLEARING, amount,
        EntrySource.PAYOUT, ReferenceOrigin.PAYOUT, earnings.id(), Optional.of(payoutId.toString()),
        Optional.of("Payout " + payoutId));
    if (earnings.available().compareTo(amount) < 0) {
      return earlierOrThrow(tx, request, new DomainException(Reason.INSUFFICIENT_CREDITS,
          "earnings short: " + earnings.available().toWire() + " available, " + amount.toWire() + " requested",
          Map.of("available", earnings.available().toWire(), "requested", amount.toWire())));
    }
    return postOrReplay(tx, request);
  }

  /** A payout's tokens left: PAYOUTS_CLEARING -> CHAIN_CLEARING (reference the payout id). */
  public LedgerEntry settlePayout(DSLContext tx, CreditAmount amount, UUID payoutId) {
    return postOrReplay(tx, new TransferRequest(SystemAccounts.PAYOUTS_CLEARING, SystemAccounts.CHAIN_CLEARING,
        amount, EntrySource.PAYOUT, ReferenceOrigin.PAYOUT, SystemAccounts.PAYOUTS_CLEARING,
        Optional.of(payoutId.toString()), Optional.of("Payout " + payoutId + " sent")));
  }

  /** A payout finally failed: PAYOUTS_CLEARING -> the operator's earnings (reference "<payout id>:returned"). */
  public LedgerEntry returnPayout(DSLContext tx, UUID operatorId, CreditAmount amount, UUID payoutId) {
    Account earnings = store.openAndLock(tx, operatorId, AccountKind.OPERATOR_EARNINGS);
    return postOrReplay(tx, new TransferRequest(SystemAccounts.PAYOUTS_CLEARING, earnings.id(), amount,
        EntrySource.PAYOUT, ReferenceOrigin.PAYOUT, earnings.id(), Optional.of(payoutId + ":returned"),
        Optional.of("Payout " + payoutId + " failed: returned")));
  }

  /** Posts the transfer, or, when its reference was used before, answers with that first entry (409 if it differs). */
  private LedgerEntry postOrReplay(DSLContext tx, TransferRequest request) {
    Optional<PostedTransfer> posted = store.postOnce(tx, request);
    if (posted.isPresent()) {
      return posted.get().referenceLeg();
    }
    return earlierOrThrow(tx, request, new IllegalStateException("reference claimed but not found"));
  }

  /** The first result of the request's reference if it has one, else {@code otherwise}. */
  private LedgerEntry earlierOrThrow(DSLContext tx, TransferRequest request, RuntimeException otherwise) {
    if (request.referenceId().isEmpty()) {
      throw otherwise;
    }
    Optional<PostedTransfer> earlier = store.findByReference(tx, request.referenceAccount(), request.source(),
        request.origin(), request.referenceId().get());
    if (earlier.isEmpty()) {
      throw otherwise;
    }
    Direction direction = request.referenceAccount().equals(request.debitAccount()) ? Direction.DEBIT : Direction.CREDIT;
    if (earlier.get().referenceLeg().direction() != direction) {
      throw conflict();
    }
    return sameAmountOrConflict(earlier.get(), request.amount());
  }

  static LedgerEntry sameAmountOrConflict(PostedTransfer earlier, CreditAmount amount) {
    if (!earlier.amount().equals(amount)) {
      throw conflict();
    }
    return earlier.referenceLeg();
  }

  static DomainException conflict() {
    return new DomainException(Reason.IDEMPOTENCY_CONFLICT,
        "reference_id was already used with a different amount");
  }

  /** 402 with the documented extras: both amounts as 4-decimal strings. */
  public static DomainException insufficient(CreditAmount available, CreditAmount requested) {
    return new DomainException(Reason.INSUFFICIENT_CREDITS,
        "insufficient credits: " + available.toWire() + " available, " + requested.toWire() + " requested",
        Map.of("available", available.toWire(), "requested", requested.toWire()));
  }
}
