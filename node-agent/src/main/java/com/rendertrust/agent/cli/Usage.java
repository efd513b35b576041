package com.rendertrust.agent.cli;

import com.rendertrust.agent.config.Setting;
import java.io.PrintStream;

/** The help text, generated from the settings table so it cannot drift from the code. */
public final class Usage {
  private Usage() {}

  public static void print(PrintStream out) {
    out.println("""
        RenderTrust node agent: runs jobs from a RenderTrust control plane on this machine.

        usage: rendertrust-agent <command> [options]

        commands:
          register   create this node's Ed25519 key (once), register it with the server, prove the key,
                     store node id + token (re-running keeps the same key and node id)
                     e.g. register --server http://localhost:8000 --name gpu-1 --capabilities render,inference
          run        connect and execute jobs until stopped (SIGTERM/Ctrl-C drains running jobs first)
          status     identity, server, connection and running jobs (add --json for JSON)
          help       this text

        options (flag / environment / agent.json key; first found wins, in that order):""");
    for (Setting setting : Setting.values()) {
      String flag = setting.flag().map(f -> "--" + f).orElse("");
      String env = setting.env().orElse("");
      String key = setting.fileKey().orElse("");
      out.println(String.format("  %-24s %-30s %s", flag, env, key).stripTrailing());
      out.println("      " + setting.meaning() + " (default: " + setting.defaultText() + ")");
    }
  }
}
