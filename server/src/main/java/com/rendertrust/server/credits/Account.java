package com.rendertrust.server.credits;

import java.util.UUID;

/** An account's state as read (under its row lock when read for a money movement). */
record Account(UUID id, AccountKind kind, UUID ownerId, CreditAmount balance, CreditAmount held) {

  /** Balance minus active holds: what a deduction or a new hold may use. */
  CreditAmount available() {
    return balance.minus(held);
  }
}
