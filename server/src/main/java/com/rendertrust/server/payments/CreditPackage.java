package com.rendertrust.server.payments;

import com.rendertrust.server.credits.CreditAmount;

/** A purchasable bundle of credits; {@code priceCents} in the smallest unit of {@code currency}. */
public record CreditPackage(String id, String name, CreditAmount credits, int priceCents, String currency) {
}
