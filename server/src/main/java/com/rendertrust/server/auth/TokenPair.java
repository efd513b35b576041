package com.rendertrust.server.auth;

/** What a login, registration or refresh hands out: an access token and its refresh token. */
public record TokenPair(String accessToken, String refreshToken) {

  /** Never prints the tokens: they are bearer credentials. */
  @Override
  public String toString() {
    return "TokenPair[***]";
  }
}
