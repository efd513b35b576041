package com.rendertrust.server.jobs;

import java.net.URI;
import java.util.List;

/** A job's delivered outputs with presigned download URLs, valid for {@code expiresInSeconds}. */
public record OutputLinks(List<Link> outputs, long expiresInSeconds) {

  /** One output and its download URL. */
  public record Link(JobOutput output, URI downloadUrl) {
  }
}
