package com.rendertrust.sdk;

import java.math.BigDecimal;

/** The caller's credit balance. */
public record Balance(String userId, BigDecimal balance) {
}
