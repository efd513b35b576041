package com.rendertrust.server.uploads;

import java.util.List;

/** One page of a user's uploads and the total count. */
public record UploadPage(List<Upload> uploads, int count) {
}
