package com.rendertrust.server.auth;

/** Who may call an RPC: one value per method in {@link AccessPolicy}. */
public enum Access {
  /** Anyone; credentials, if sent, are ignored (login, register, refresh, health...). */
  PUBLIC,
  /** Anyone; a user credential, if sent, must be valid and identifies the caller (RegisterNode). */
  PUBLIC_OPTIONAL_USER,
  /** A user or admin, by access token or API key. */
  USER,
  /** A user or admin by access token only: API keys may not (Logout, CreateApiKey). */
  USER_SESSION,
  /** A node, by node token. */
  NODE,
  /** An admin, by access token or API key. */
  ADMIN
}
