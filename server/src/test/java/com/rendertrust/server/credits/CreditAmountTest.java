package com.rendertrust.server.credits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CreditAmountTest {

  @ParameterizedTest
  @CsvSource({"10,100000,10.0000", "10.0000,100000,10.0000", "2.5,25000,2.5000", "0.0001,1,0.0001",
      "007.10,71000,7.1000", "100000000,1000000000000,100000000.0000"})
  void parsesPlainDecimalsWithUpToFourPlaces(String text, long units, String wire) {
    CreditAmount amount = CreditAmount.parsePositive("amount", text);
    assertThat(amount.units()).isEqualTo(units);
    assertThat(amount.toWire()).isEqualTo(wire);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0", "0.0000", "-1", "-0.0001", "1.00001", "0.00001", "abc", "1e3", "1E3", " 1", "1 ",
      "+1", "1.", ".5", "1,5", "1_000", "NaN", "Infinity", "0x10", "١٠", "100000000.0001", "9223372036854775807",
      "99999999999999999999999"})
  void rejectsAnythingElseAs422(String text) {
    assertThatThrownBy(() -> CreditAmount.parsePositive("amount", text))
        .isInstanceOfSatisfying(DomainException.class, e -> {
          assertThat(e.reason()).isEqualTo(Reason.VALIDATION_FAILED);
          assertThat(e.metadata()).containsEntry("field", "amount");
        });
  }

  @Test
  void nullIsRequiredNotACrash() {
    assertThatThrownBy(() -> CreditAmount.parsePositive("amount", null)).isInstanceOf(DomainException.class);
  }

  @Test
  void formatsAlwaysFourPlacesIncludingNegatives() {
    assertThat(CreditAmount.ZERO.toWire()).isEqualTo("0.0000");
    assertThat(new CreditAmount(-100000).toWire()).isEqualTo("-10.0000");
    assertThat(CreditAmount.ofCredits(1000).toWire()).isEqualTo("1000.0000");
  }

  @Test
  void percentRoundsDownToAUnitAndTheRestStaysWhole() {
    CreditAmount odd = new CreditAmount(3);
    assertThat(odd.percent(70).units()).isEqualTo(2);
    assertThat(odd.minus(odd.percent(70)).units()).isEqualTo(1);
    assertThat(CreditAmount.ofCredits(10).percent(70)).isEqualTo(CreditAmount.ofCredits(7));
  }

  @Test
  void arithmeticNeverOverflowsSilently() {
    assertThatThrownBy(() -> new CreditAmount(Long.MAX_VALUE).plus(new CreditAmount(1)))
        .isInstanceOf(ArithmeticException.class);
  }
}
