package com.rendertrust.sdk;

import java.math.BigDecimal;

/** A purchasable credit package, e.g. 500 credits for $40.00. */
public record CreditPackage(String id, String name, BigDecimal credits, long priceCents, String currency) {
}
