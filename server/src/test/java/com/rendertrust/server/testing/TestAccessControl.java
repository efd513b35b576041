package com.rendertrust.server.testing;

import com.rendertrust.server.auth.Access;
import com.rendertrust.server.auth.AccessControlInterceptor;
import com.rendertrust.server.auth.AccessPolicy;
import com.rendertrust.server.auth.Authentication;
import com.rendertrust.server.auth.Authenticator;
import com.rendertrust.server.platform.auth.ClientAddressResolver;
import com.rendertrust.server.platform.errors.DomainException;
import com.rendertrust.server.platform.errors.Reason;
import java.util.List;
import java.util.Map;

/**
 * Access control for tests that build the interceptor pipeline around test doubles without a
 * database: the policy table is real (or given), and every presented credential is refused.
 */
public final class TestAccessControl {

  private TestAccessControl() {
  }

  /** The real policy table; public RPCs work, anything needing credentials answers 401. */
  public static AccessControlInterceptor realPoliciesNoCredentials() {
    return withPolicies(AccessPolicy.table());
  }

  public static AccessControlInterceptor withPolicies(Map<String, Access> policies) {
    return new AccessControlInterceptor(policies, new Authenticator() {
      @Override
      public Authentication bearer(String token) {
        throw new DomainException(Reason.TOKEN_INVALID, "no credentials are valid here");
      }

      @Override
      public Authentication apiKey(String key) {
        throw new DomainException(Reason.TOKEN_INVALID, "no credentials are valid here");
      }
    }, new ClientAddressResolver(List.of()));
  }
}
