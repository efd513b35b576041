package com.rendertrust.server.credits;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An amount of credits as integer ten-thousandths ({@code units}); on the wire a decimal string
 * with exactly four places ({@code "10.0000"}). Never a float anywhere.
 */
public record CreditAmount(long units) implements Comparable<CreditAmount> {

  public static final int SCALE = 4;
  public static final long UNITS_PER_CREDIT = 10_000;
  public static final CreditAmount ZERO = new CreditAmount(0);
  /** The largest amount one request may move: far below overflow even when summed per account. */
  public static final CreditAmount MAX_TRANSFER = ofCredits(100_000_000);

  /** Plain decimal: digits, optionally a point and 1..4 digits. No sign, exponent, spaces or grouping. */
  private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,12}(\\.[0-9]+)?");

  public static CreditAmount ofCredits(long credits) {
    return new CreditAmount(Math.multiplyExact(credits, UNITS_PER_CREDIT));
  }

  /**
   * Parses a client-supplied positive amount such as {@code "10"}, {@code "2.5"} or
   * {@code "10.0000"}: 422 VALIDATION_FAILED when it is not a plain decimal number, has more than
   * four decimals, is zero or negative, or exceeds {@link #MAX_TRANSFER}.
   */
  public static CreditAmount parsePositive(String field, String text) {
    if (text == null || text.isEmpty()) {
      throw invalid(field, field + " is required");
    }
    if (text.startsWith("-")) {
      throw invalid(field, field + " must be greater than 0");
    }
    if (!DECIMAL.matcher(text).matches()) {
      throw invalid(field, field + " must be a decimal number such as \"10.0000\"");
    }
    BigDecimal value = new BigDecimal(text);
    if (value.scale() > SCALE) {
      throw invalid(field, field + " must have at most 4 decimal places");
    }
    if (value.signum() <= 0) {
      throw invalid(field, field + " must be greater than 0");
    }
    long units = value.movePointRight(SCALE).longValueExact();
    if (units > MAX_TRANSFER.units) {
      throw invalid(field, field + " must be at most " + MAX_TRANSFER.toWire());
    }
    return new CreditAmount(units);
  }

  private static DomainException invalid(String field, String detail) {
    return new DomainException(Reason.VALIDATION_FAILED, detail, Map.of("field", field));
  }

  /** {@code "1234.5000"}, {@code "-10.0000"}: always four decimals. */
  public String toWire() {
    return BigDecimal.valueOf(units, SCALE).toPlainString();
  }

  public boolean isPositive() {
    return units > 0;
  }

  public CreditAmount plus(CreditAmount other) {
    return new CreditAmount(Math.addExact(units, other.units));
  }

  public CreditAmount minus(CreditAmount other) {
    return new CreditAmount(Math.subtractExact(units, other.units));
  }

  public CreditAmount negate() {
    return new CreditAmount(Math.negateExact(units));
  }

  public CreditAmount abs() {
    return units < 0 ? negate() : this;
  }

  /** {@code percent}% of this amount rounded down to a whole unit (the remainder stays with the caller). */
  public CreditAmount percent(int percent) {
    return new CreditAmount(Math.multiplyExact(units, percent) / 100);
  }

  @Override
  public int compareTo(CreditAmount other) {
    return Long.compare(units, other.units);
  }

  @Override
  public String toString() {
    return toWire();
  }
}
