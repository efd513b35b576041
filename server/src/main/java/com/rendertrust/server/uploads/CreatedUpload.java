package com.rendertrust.server.uploads;

import java.net.URI;
import java.util.Map;

/** A declared upload and where to PUT its bytes. */
public record CreatedUpload(Upload upload, URI uploadUrl, Map<String, String> uploadHeaders, long expiresInSeconds) {
}
