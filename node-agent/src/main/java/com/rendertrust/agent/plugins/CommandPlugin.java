package com.rendertrust.agent.plugins;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code command}: an operator-configured program for one job type (inference or anything else),
 * from {@code agent.json}: {@code "commands": {"inference": ["python3", "infer.py", "{input}", "{output}"]}}.
 *
 * <p>Placeholders, replaced inside each argument: {@code {input}} (the downloaded payload_ref, or
 * {@code input.json} holding the inline payload), {@code {payload}} ({@code input.json}),
 * {@code {output}} (the file to write the result to), {@code {work_dir}}, {@code {job_id}},
 * {@code {payload_ref}}. The argv is executed directly, never through a shell, so a payload can
 * never inject shell syntax. Exit 0 and an output file mean success; a stdout line
 * {@code PROGRESS <0-100> [note]} reports progress.
 *
 * <p>A failure carries an {@link ErrorCode}: a stdout line {@code ERROR_CODE <code>} names it
 * (INPUT_UNAVAILABLE, INVALID_INPUT, OUT_OF_MEMORY, TIMEOUT or PLUGIN_ERROR); otherwise the exit
 * status tells: 65 (EX_DATAERR) INVALID_INPUT, 66 (EX_NOINPUT) INPUT_UNAVAILABLE, 137 (killed,
 * as by the out-of-memory killer) OUT_OF_MEMORY, anything else PLUGIN_ERROR. The server fails
 * the job at once on INVALID_INPUT and retries the others on another node.
 */
public final class CommandPlugin implements JobPlugin {

  private static final Pattern PROGRESS = Pattern.compile("^PROGRESS\\s+(\\d{1,3})(?:\\s+(.*))?$");
  private static final Pattern ERROR_CODE = Pattern.compile("^ERROR_CODE\\s+([A-Z_]+)\\s*$");

  private final String jobType;
  private final List<String> template;
  private final ProcessRunner runner;

  public CommandPlugin(String jobType, List<String> template, ProcessRunner runner) {
    this.jobType = jobType;
    this.template = List.copyOf(template);
    this.runner = runner;
  }

  @Override
  public String jobType() {
    return jobType;
  }

  @Override
  public PluginOutput run(JobContext context) throws Exception {
    Path output = context.outputFile();
    List<String> argv = expand(template, context);
    AtomicReference<ErrorCode> named = new AtomicReference<>();
    ProcessRunner.Exit exit = runner.run(argv, context, line -> {
      Matcher matcher = PROGRESS.matcher(line.strip());
      if (matcher.matches()) {
        context.progress(Integer.parseInt(matcher.group(1)), matcher.group(2));
      }
      Matcher code = ERROR_CODE.matcher(line.strip());
      if (code.matches()) {
        named.set(parseCode(code.group(1)));
      }
    });
    if (exit.status() != 0) {
      throw new PluginFailure(named.get() != null ? named.get() : codeOfExit(exit.status()),
          "command '" + template.get(0) + "' exited with status " + exit.status()
          + (exit.stderrTail().isEmpty() ? "" : "; stderr: " + exit.stderrTail()));
    }
    if (!Files.isRegularFile(output)) {
      throw new PluginFailure("command '" + template.get(0) + "' exited 0 but wrote no result to {output}");
    }
    return new PluginOutput(output);
  }

  /** The code an exit status implies when the command named none. */
  static ErrorCode codeOfExit(int status) {
    return switch (status) {
      case 65 -> ErrorCode.INVALID_INPUT;
      case 66 -> ErrorCode.INPUT_UNAVAILABLE;
      case 137 -> ErrorCode.OUT_OF_MEMORY;
      default -> ErrorCode.PLUGIN_ERROR;
    };
  }

  private static ErrorCode parseCode(String name) {
    for (ErrorCode code : ErrorCode.values()) {
      if (code.name().equals(name)) {
        return code;
      }
    }
    return ErrorCode.PLUGIN_ERROR;
  }

  static List<String> expand(List<String> template, JobContext context) {
    String input = context.inputFile().orElse(context.payloadFile()).toString();
    List<String> argv = new ArrayList<>(template.size());
    for (String part : template) {
      argv.add(part
          .replace("{input}", input)
          .replace("{payload}", context.payloadFile().toString())
          .replace("{output}", context.outputFile().toString())
          .replace("{work_dir}", context.workDir().toString())
          .replace("{job_id}", context.job().jobId())
          .replace("{payload_ref}", context.job().payloadRef()));
    }
    return argv;
  }
}
