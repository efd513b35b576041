package com.rendertrust.agent.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds the one {@link AgentConfig} from flags, environment and {@code <config dir>/agent.json}
 * (first source that has a value wins, in that order). Every error names the setting and the
 * source it came from, so an operator can fix it without reading code.
 */
public final class AgentConfigLoader {

  public static final String CONFIG_FILE = "agent.json";
  private static final Pattern JOB_TYPE = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
  private static final Set<String> LOG_LEVELS = Set.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

  private final Map<Setting, String> flags;
  private final Map<String, String> environment;
  private final Path userHome;
  private final int availableProcessors;
  private final ObjectMapper json = new ObjectMapper();

  public AgentConfigLoader(Map<Setting, String> flags, Map<String, String> environment, Path userHome,
      int availableProcessors) {
    this.flags = Map.copyOf(flags);
    this.environment = Map.copyOf(environment);
    this.userHome = userHome;
    this.availableProcessors = availableProcessors;
  }

  /** A raw setting value and where it came from ("--slots", "RT_AGENT_SLOTS", "agent.json slots"). */
  private record Value(String text, String source) {}

  public AgentConfig load() {
    Path configDir = configDir();
    JsonNode file = readConfigFile(configDir.resolve(CONFIG_FILE));

    Optional<String> server = text(Setting.SERVER, file).map(v -> v.text().strip()).filter(s -> !s.isEmpty());
    Optional<String> name = text(Setting.NAME, file).map(v -> v.text().strip()).filter(s -> !s.isEmpty());
    Optional<List<String>> capabilities = capabilities(file);
    Optional<String> operatorToken = text(Setting.OPERATOR_TOKEN, file).map(Value::text).filter(s -> !s.isBlank());
    int slots = integer(Setting.SLOTS, file, 1, 1024).orElse(Math.max(1, availableProcessors / 2));
    String healthBind = text(Setting.HEALTH_BIND, file).map(Value::text).orElse("127.0.0.1");
    int healthPort = integer(Setting.HEALTH_PORT, file, 0, 65535).orElse(8081);
    Duration drainGrace = Duration.ofSeconds(integer(Setting.DRAIN_GRACE, file, 0, 86_400).orElse(60));
    Duration jobTimeout = Duration.ofSeconds(integer(Setting.JOB_TIMEOUT, file, 1, 7 * 86_400).orElse(3600));
    Path workDir = text(Setting.WORK_DIR, file).map(v -> expandHome(v.text())).orElse(configDir.resolve("work"));
    boolean keepWorkDirs = bool(Setting.KEEP_WORK_DIRS, file).orElse(false);
    boolean allowPrivateInputs = bool(Setting.ALLOW_PRIVATE_INPUTS, file).orElse(false);
    Optional<Path> blender = blender(file);
    Map<String, List<String>> commands = commands(file);
    String logLevel = logLevel(file);
    Duration reconnectInitial = Duration.ofMillis(integer(Setting.RECONNECT_INITIAL, file, 1, 600_000).orElse(1000));
    Duration reconnectMax = Duration.ofMillis(integer(Setting.RECONNECT_MAX, file, 1, 3_600_000).orElse(30_000));
    if (reconnectMax.compareTo(reconnectInitial) < 0) {
      throw new ConfigException("reconnect_max_ms (" + reconnectMax.toMillis() + ") must not be below reconnect_initial_ms ("
          + reconnectInitial.toMillis() + ")");
    }
    Duration keepAlive = Duration.ofSeconds(integer(Setting.KEEPALIVE, file, 0, 86_400).orElse(60));
    Duration rpcTimeout = Duration.ofSeconds(integer(Setting.RPC_TIMEOUT, file, 1, 3600).orElse(30));

    return new AgentConfig(configDir, server, name, capabilities, operatorToken, slots, healthBind, healthPort,
        drainGrace, jobTimeout, workDir, keepWorkDirs, blender, commands, logLevel, reconnectInitial, reconnectMax,
        keepAlive, rpcTimeout, allowPrivateInputs);
  }

  private Path configDir() {
    String flag = flags.get(Setting.CONFIG_DIR);
    if (flag != null && !flag.isBlank()) {
      return expandHome(flag).toAbsolutePath().normalize();
    }
    String env = environment.get("RT_AGENT_HOME");
    if (env != null && !env.isBlank()) {
      return expandHome(env).toAbsolutePath().normalize();
    }
    return userHome.resolve(".rendertrust").resolve("agent").toAbsolutePath().normalize();
  }

  private Path expandHome(String path) {
    if (path.equals("~")) {
      return userHome;
    }
    if (path.startsWith("~/")) {
      return userHome.resolve(path.substring(2));
    }
    return Path.of(path);
  }

  private JsonNode readConfigFile(Path file) {
    if (!Files.exists(file)) {
      return json.createObjectNode();
    }
    JsonNode node;
    try {
      node = json.readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new ConfigException(file + " is not valid JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new ConfigException(file + " must hold a JSON object");
    }
    for (Map.Entry<String, JsonNode> property : node.properties()) {
      String key = property.getKey();
      if (Setting.byFileKey(key).isEmpty()) {
        List<String> known = Arrays.stream(Setting.values()).flatMap(s -> s.fileKey().stream()).toList();
        throw new ConfigException(file + ": unknown setting \"" + key + "\" (known: " + String.join(", ", known) + ")");
      }
    }
    return node;
  }

  /** Flag, then environment variable, then file: the first that is present. */
  private Optional<Value> text(Setting setting, JsonNode file) {
    Optional<String> flag = setting.flag();
    if (flag.isPresent() && flags.containsKey(setting)) {
      return Optional.of(new Value(flags.get(setting), "--" + flag.get()));
    }
    Optional<String> env = setting.env();
    if (env.isPresent() && environment.get(env.get()) != null && !environment.get(env.get()).isEmpty()) {
      return Optional.of(new Value(environment.get(env.get()), env.get()));
    }
    Optional<String> key = setting.fileKey();
    if (key.isPresent() && file.has(key.get()) && !file.get(key.get()).isNull()) {
      JsonNode node = file.get(key.get());
      String text = node.isArray() ? joinArray(node, key.get()) : node.asText();
      return Optional.of(new Value(text, CONFIG_FILE + " " + key.get()));
    }
    return Optional.empty();
  }

  private static String joinArray(JsonNode array, String key) {
    List<String> parts = new ArrayList<>();
    for (JsonNode element : array) {
      if (!element.isTextual()) {
        throw new ConfigException(CONFIG_FILE + " " + key + " must be a list of strings");
      }
      parts.add(element.asText());
    }
    return String.join(",", parts);
  }

  private Optional<Integer> integer(Setting setting, JsonNode file, int min, int max) {
    return text(setting, file).map(value -> {
      try {
        int parsed = Integer.parseInt(value.text().strip());
        if (parsed < min || parsed > max) {
          throw new NumberFormatException();
        }
        return parsed;
      } catch (NumberFormatException e) {
        throw new ConfigException(value.source() + " must be an integer from " + min + " to " + max + ", got '"
            + value.text() + "'");
      }
    });
  }

  private Optional<Boolean> bool(Setting setting, JsonNode file) {
    return text(setting, file).map(value -> switch (value.text().strip().toLowerCase(Locale.ROOT)) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new ConfigException(value.source() + " must be true or false, got '" + value.text() + "'");
    });
  }

  private Optional<List<String>> capabilities(JsonNode file) {
    return text(Setting.CAPABILITIES, file).map(value -> {
      List<String> types = Arrays.stream(value.text().split(","))
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .distinct()
          .toList();
      if (types.isEmpty()) {
        throw new ConfigException(value.source() + " lists no job type");
      }
      for (String type : types) {
        if (!JOB_TYPE.matcher(type).matches()) {
          throw new ConfigException(value.source() + ": '" + type + "' is not a job type (lowercase letters, digits, _ . -)");
        }
      }
      return types;
    });
  }

  /** An explicit executable (must exist), {@code off}, or else {@code blender} found on PATH. */
  private Optional<Path> blender(JsonNode file) {
    Optional<Value> configured = text(Setting.BLENDER, file);
    if (configured.isPresent()) {
      String text = configured.get().text().strip();
      if (text.equalsIgnoreCase("off") || text.equalsIgnoreCase("none") || text.isEmpty()) {
        return Optional.empty();
      }
      Path path = expandHome(text);
      if (path.getNameCount() == 1 && !text.contains("/")) {
        Optional<Path> onPath = findOnPath(text);
        if (onPath.isPresent()) {
          return onPath;
        }
      }
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        throw new ConfigException(configured.get().source() + ": '" + text + "' is not an executable file");
      }
      return Optional.of(path.toAbsolutePath());
    }
    return findOnPath("blender");
  }

  private Optional<Path> findOnPath(String executable) {
    String path = environment.getOrDefault("PATH", "");
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, executable);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate.toAbsolutePath());
      }
    }
    return Optional.empty();
  }

  private static Map<String, List<String>> commands(JsonNode file) {
    JsonNode node = file.get("commands");
    if (node == null || node.isNull()) {
      return Map.of();
    }
    String where = CONFIG_FILE + " commands";
    if (!node.isObject()) {
      throw new ConfigException(where + " must be an object: job type -> [\"program\", \"arg\", ...]");
    }
    Map<String, List<String>> commands = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : node.properties()) {
      String type = entry.getKey();
      if (!JOB_TYPE.matcher(type).matches()) {
        throw new ConfigException(where + ": '" + type + "' is not a job type (lowercase letters, digits, _ . -)");
      }
      JsonNode argv = entry.getValue();
      if (!argv.isArray() || argv.isEmpty()) {
        throw new ConfigException(where + "." + type + " must be a non-empty list of strings (argv, no shell)");
      }
      List<String> parts = new ArrayList<>();
      for (JsonNode part : argv) {
        if (!part.isTextual()) {
          throw new ConfigException(where + "." + type + " must be a non-empty list of strings (argv, no shell)");
        }
        parts.add(part.asText());
      }
      if (parts.get(0).isBlank()) {
        throw new ConfigException(where + "." + type + ": the program (first element) is empty");
      }
      commands.put(type, List.copyOf(parts));
    }
    return commands;
  }

  private String logLevel(JsonNode file) {
    return text(Setting.LOG_LEVEL, file).map(value -> {
      String level = value.text().strip().toUpperCase(Locale.ROOT);
      if (!LOG_LEVELS.contains(level)) {
        throw new ConfigException(value.source() + " must be one of ERROR, WARN, INFO, DEBUG, TRACE, got '" + value.text() + "'");
      }
      return level;
    }).orElse("INFO");
  }
}
