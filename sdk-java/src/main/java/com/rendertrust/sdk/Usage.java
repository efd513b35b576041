package com.rendertrust.sdk;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;

/** The caller's credit usage per UTC day, oldest first, and what was spent over all of them. */
public record Usage(List<Day> days, BigDecimal totalSpent) {

  public Usage {
    days = List.copyOf(days);
  }

  /** One UTC day: what USAGE entries took, REFUND entries returned and PURCHASE entries added. */
  public record Day(LocalDate date, BigDecimal spent, BigDecimal refunded, BigDecimal purchased) {
  }
}
