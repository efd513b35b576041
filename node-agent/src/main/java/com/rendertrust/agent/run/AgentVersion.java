package com.rendertrust.agent.run;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The agent's build version (Hello.agent_version), e.g. "0.1.0" for a 0.1.0-SNAPSHOT build. */
public final class AgentVersion {
  private AgentVersion() {}

  public static String read() {
    try (InputStream in = AgentVersion.class.getResourceAsStream("/agent-version.properties")) {
      if (in == null) {
        return "0.0.0";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "0.0.0").replace("-SNAPSHOT", "");
    } catch (IOException e) {
      return "0.0.0";
    }
  }
}
