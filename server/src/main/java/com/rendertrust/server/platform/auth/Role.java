package com.rendertrust.server.platform.auth;

/** Who a caller is, as far as the per-RPC access policy is concerned. */
public enum Role {
  USER,
  NODE,
  ADMIN
}
