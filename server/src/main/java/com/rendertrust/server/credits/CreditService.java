package com.rendertrust.server.credits;

import com.rendertrust.server.platform.db.Transactions;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jooq.DSLContext;

/**
 * A user's credit account: balance, history, manual deductions and administrative
 * adjustments. User accounts open on first use; a user without one has balance 0.
 */
public final class CreditService {

  public static final int DEFAULT_PAGE_SIZE = 50;
  public static final int MAX_PAGE_SIZE = 200;

  private final DSLContext dsl;
  private final Transactions transactions;
  private final LedgerStore store = new LedgerStore();

  public CreditService(DSLContext dsl) {
    this.dsl = dsl;
    this.transactions = new Transactions(dsl);
  }

  /** The user's posted balance (active holds not subtracted). */
  public CreditAmount balance(UUID userId) {
    return store.find(dsl, userId, AccountKind.USER).map(Account::balance).orElse(CreditAmount.ZERO);
  }

  /** Balance minus active holds: what the next deduction or job hold may use. */
  public CreditAmount available(UUID userId) {
    return store.find(dsl, userId, AccountKind.USER).map(Account::available).orElse(CreditAmount.ZERO);
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
    return store.find(dsl, userId, AccountKind.USER)
        .map(account -> store.history(dsl, account.id(), pageSize, offset))
        .orElseGet(() -> new HistoryPage(List.of(), 0));
  }

  /**
   * Moves the amount from the user's account to platform revenue as USAGE. With a reference,
   * a retry with the same amount returns the first entry and a different amount is 409
   * IDEMPOTENCY_CONFLICT; 402 INSUFFICIENT_CREDITS when the available amount is short.
   * The account's row lock serializes concurrent deductions, so the check and the debit see
   * the same balance (the no-overdraft CHECK constraint backs this up).
   */
  public LedgerEntry deduct(UUID userId, Deduction deduction) {
    return transactions.inTransaction(tx -> {
      Optional<Account> locked = store.lock(tx, userId, AccountKind.USER);
      if (locked.isEmpty()) {
        throw insufficient(CreditAmount.ZERO, deduction.amount());
      }
      Account account = locked.get();
      if (deduction.referenceId().isPresent()) {
        Optional<PostedTransfer> earlier = store.findByReference(tx, account.id(), EntrySource.USAGE,
            ReferenceOrigin.CLIENT, deduction.referenceId().get());
        if (earlier.isPresent()) {
          return sameAmountOrConflict(earlier.get(), deduction.amount());
        }
      }
      if (account.available().compareTo(deduction.amount()) < 0) {
        throw insufficient(account.available(), deduction.amount());
      }
      return store.post(tx, new TransferRequest(account.id(), SystemAccounts.PLATFORM_REVENUE,
          deduction.amount(), EntrySource.USAGE, ReferenceOrigin.CLIENT, account.id(),
          deduction.referenceId(), deduction.description())).referenceLeg();
    });
  }

  /**
   * An administrator's correction: a positive amount credits the user (from the ADJUSTMENTS
   * account), a negative one debits it (402 when that would overdraw). Idempotent on
   * {@code referenceId} like a deduction. The seam for a later AdminService; tests fund
   * accounts with it.
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
      if (reference.isPresent()) {
        Optional<PostedTransfer> earlier = store.findByReference(tx, account.id(), EntrySource.ADJUSTMENT,
            ReferenceOrigin.ADMIN, reference.get());
        if (earlier.isPresent()) {
          boolean sameDirection = earlier.get().referenceLeg().direction() == (credit ? Direction.CREDIT : Direction.DEBIT);
          if (!sameDirection) {
            throw conflict();
          }
          return sameAmountOrConflict(earlier.get(), amount);
        }
      }
      if (!credit && account.available().compareTo(amount) < 0) {
        throw insufficient(account.available(), amount);
      }
      UUID debit = credit ? SystemAccounts.ADJUSTMENTS : account.id();
      UUID creditAccount = credit ? account.id() : SystemAccounts.ADJUSTMENTS;
      return store.post(tx, new TransferRequest(debit, creditAccount, amount, EntrySource.ADJUSTMENT,
          ReferenceOrigin.ADMIN, account.id(), reference, text)).referenceLeg();
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
    Optional<PostedTransfer> earlier = store.findByReference(tx, account.id(), EntrySource.PURCHASE,
        ReferenceOrigin.CHECKOUT, sessionId);
    if (earlier.isPresent()) {
      return sameAmountOrConflict(earlier.get(), credits);
    }
    return store.post(tx, new TransferRequest(SystemAccounts.STRIPE_CLEARING, account.id(), credits,
        EntrySource.PURCHASE, ReferenceOrigin.CHECKOUT, account.id(), Optional.of(sessionId),
        Optional.of(description))).referenceLeg();
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
