package com.rendertrust.agent.plugins.render;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The installed Blender's version, as {@code blender --version} prints it ("Blender 3.4.1"). */
record BlenderVersion(int major, int minor) {

  private static final Pattern VERSION = Pattern.compile("^Blender (\\d+)\\.(\\d+)", Pattern.MULTILINE);

  static Optional<BlenderVersion> parse(String versionOutput) {
    Matcher matcher = VERSION.matcher(versionOutput);
    if (!matcher.find()) {
      return Optional.empty();
    }
    return Optional.of(new BlenderVersion(Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2))));
  }

  boolean atLeast(int wantedMajor, int wantedMinor) {
    return major > wantedMajor || (major == wantedMajor && minor >= wantedMinor);
  }

  @Override
  public String toString() {
    return major + "." + minor;
  }
}
