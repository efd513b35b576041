package com.rendertrust.server.credits;

/** What an account is for; spelled as {@code credit_accounts.kind}. */
public enum AccountKind {
  /** A creator's credits; one per user, opened on first use. Never negative, holds included. */
  USER,
  /** What a node operator earned from completed jobs; one per operator, opened on first use. */
  OPERATOR_EARNINGS,
  /** The platform's share of usage and manual deductions. */
  PLATFORM_REVENUE,
  /** Clearing account a job's usage passes through on capture; its balance is 0 between transactions. */
  JOB_HOLDS,
  /** Mirror of money received through Stripe: negative by the total credits sold. */
  STRIPE_CLEARING,
  /** Mirror of credits granted or removed by administrators (support, promotions). */
  ADJUSTMENTS,
  /** Mirror of tokens: negative by the credits bought with token deposits, back up by token payouts. */
  CHAIN_CLEARING,
  /** Operator payouts on their way out: debited from earnings when asked, cleared when sent or returned. */
  PAYOUTS_CLEARING;

  /** Clearing accounts mirror value that entered from outside, so they may run negative. */
  public boolean mayGoNegative() {
    return this == STRIPE_CLEARING || this == ADJUSTMENTS || this == CHAIN_CLEARING;
  }
}
