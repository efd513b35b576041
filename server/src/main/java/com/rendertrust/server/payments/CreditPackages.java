package com.rendertrust.server.payments;

import com.rendertrust.server.credits.CreditAmount;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.List;
import java.util.Map;

/** The credit packages on sale (the product's price list), cheapest first. */
public final class CreditPackages {

  public static final List<CreditPackage> ALL = List.of(
      new CreditPackage("credits_100", "100 credits", CreditAmount.ofCredits(100), 1_000, "usd"),
      new CreditPackage("credits_500", "500 credits", CreditAmount.ofCredits(500), 4_000, "usd"),
      new CreditPackage("credits_1000", "1,000 credits", CreditAmount.ofCredits(1_000), 7_000, "usd"));

  private CreditPackages() {
  }

  /** The package with this id; 422 UNKNOWN_PACKAGE otherwise. */
  public static CreditPackage require(String packageId) {
    return ALL.stream().filter(candidate -> candidate.id().equals(packageId)).findFirst()
        .orElseThrow(() -> new DomainException(Reason.UNKNOWN_PACKAGE,
            "unknown package_id; one of " + ALL.stream().map(CreditPackage::id).toList(),
            Map.of("field", "package_id")));
  }
}
