package com.rendertrust.server.webhooks;

/** A new endpoint and its secret, which is shown only in this answer. */
public record CreatedEndpoint(Endpoint endpoint, String secret) {
}
