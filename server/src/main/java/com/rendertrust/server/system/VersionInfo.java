package com.rendertrust.server.system;

/** What build is running where. */
public record VersionInfo(String name, String version, String environment) {

  /** The version Maven wrote into the jar manifest, or "dev" when running from classes. */
  public static VersionInfo of(String environment) {
    String version = VersionInfo.class.getPackage().getImplementationVersion();
    return new VersionInfo("rendertrust", version == null ? "dev" : version, environment);
  }
}
