package com.rendertrust.sdk;

/** An access/refresh token pair as issued by login, register or refresh. */
public record Tokens(String accessToken, String refreshToken) {

  @Override
  public String toString() {
    return "Tokens[accessToken=***, refreshToken=***]";
  }
}
