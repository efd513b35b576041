package com.rendertrust.server.uploads;

/**
 * What a creator declares before uploading, as received; {@link UploadRules} validates it.
 *
 * @param contentType MIME type, or empty for application/octet-stream
 */
public record UploadDeclaration(String filename, long sizeBytes, String sha256, String contentType) {
}
