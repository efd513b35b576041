package com.rendertrust.agent.cli;

import com.rendertrust.agent.config.ConfigException;
import com.rendertrust.agent.config.Setting;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code <command> [--flag value | --flag=value | --switch]...}: the subcommand, the setting flags
 * (see {@link Setting}) and the two switches {@code --help} and {@code --json}.
 */
public record CommandLine(Optional<String> command, Map<Setting, String> flags, boolean help, boolean json) {

  private static final Set<Setting> BARE_TRUE = Set.of(Setting.KEEP_WORK_DIRS, Setting.ALLOW_PRIVATE_INPUTS);

  public CommandLine {
    flags = Map.copyOf(flags);
  }

  public static CommandLine parse(String... args) {
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    String command = null;
    boolean help = false;
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        help = true;
      } else if (arg.equals("--json")) {
        json = true;
      } else if (arg.startsWith("--")) {
        String name = arg.substring(2);
        String value = null;
        int eq = name.indexOf('=');
        if (eq >= 0) {
          value = name.substring(eq + 1);
          name = name.substring(0, eq);
        }
        String flagName = name;
        Setting setting = Setting.byFlag(flagName)
            .orElseThrow(() -> new ConfigException("unknown option --" + flagName + " (see --help)"));
        if (value == null) {
          boolean hasNext = i + 1 < args.length && !args[i + 1].startsWith("--");
          if (hasNext) {
            value = args[++i];
          } else if (BARE_TRUE.contains(setting)) {
            value = "true";
          } else {
            throw new ConfigException("option --" + flagName + " needs a value");
          }
        }
        if (flags.put(setting, value) != null) {
          throw new ConfigException("option --" + flagName + " given twice");
        }
      } else if (command == null) {
        command = arg;
      } else {
        throw new ConfigException("unexpected argument '" + arg + "' (options start with --)");
      }
    }
    return new CommandLine(Optional.ofNullable(command), flags, help, json);
  }
}
