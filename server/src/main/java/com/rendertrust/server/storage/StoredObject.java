package com.rendertrust.server.storage;

import java.util.Optional;

/**
 * What a store holds under a key: its size, and its SHA-256 (lowercase hex) when the store knows
 * it. The embedded store hashes every body while it streams in; S3 reports the checksum a PUT was
 * signed with (uploads), and none otherwise.
 */
public record StoredObject(long sizeBytes, Optional<String> sha256) {
}
