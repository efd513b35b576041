package com.rendertrust.server.jobs;

import java.util.List;

/** One page of a user's jobs, newest first, and the total number matching the filter. */
public record JobPage(List<Job> jobs, int count) {
}
