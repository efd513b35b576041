package com.rendertrust.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;

/**
 * Property: the token form check ({@link TokenService#isCompactJws}), a loop on the hot path of
 * every authenticated call, accepts exactly what the compact JWS form's regular expression
 * accepts: three non-empty base64url segments joined by dots.
 */
class CompactJwsFormPropertyTest {

  private static final Pattern COMPACT_JWS = Pattern.compile("[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+");

  @Property(tries = 5000)
  void theLoopAgreesWithTheRegularExpression(
      @ForAll @StringLength(max = 12) @Chars({'a', 'Z', '0', '9', '_', '-', '.', '+', '/', '=', ' ', 'é', '\n'})
      String candidate) {
    assertThat(TokenService.isCompactJws(candidate)).isEqualTo(COMPACT_JWS.matcher(candidate).matches());
  }

  @Example
  void edgeCases() {
    assertThat(TokenService.isCompactJws("a.b.c")).isTrue();
    assertThat(TokenService.isCompactJws("A-_.z09.Q")).isTrue();
    for (String refused : new String[] {"", "a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "a.b.c=", "a.b.c\n", "a b.c.d"}) {
      assertThat(TokenService.isCompactJws(refused)).as(refused).isFalse();
    }
  }
}
