package com.rendertrust.server.jobs;

import java.util.regex.Pattern;

/** The shape of a job type (and of a node capability): e.g. "render", "cpu_benchmark", "gpu:rtx4090". */
public final class JobTypes {

  private static final Pattern TYPE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}");

  private JobTypes() {
  }

  public static boolean isValid(String type) {
    return type != null && TYPE.matcher(type).matches();
  }
}
