package com.rendertrust.server.auth;

/** Who may call an RPC: one value per method in {@link AccessPolicy}. */
public enum Access {
  /** Anyone; credentials, if sent, are ignored (login, register, refresh, health...). */
  PUBLIC,
  /**
   * Anyone; a credential, if sent, must be valid and identifies the caller (RegisterNode: an
   * operator's user credential, or a node's own token when it moves to a new key).
   */
  PUBLIC_OPTIONAL_CALLER,
  /** A user or admin, by access token or API key. */
  USER,
  /** A user or admin by access token only: API keys may not (Logout, CreateApiKey). */
  USER_SESSION,
  /** A node, by node token. */
  NODE,
  /** An admin, by access token or API key. */
  ADMIN
}
