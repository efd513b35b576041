package com.rendertrust.server.credits;

import java.util.UUID;

/** A transfer as stored: its id, amount and the leg on the reference (user-side) account. */
record PostedTransfer(UUID transferId, CreditAmount amount, LedgerEntry referenceLeg) {
}
