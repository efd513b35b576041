package com.rendertrust.agent.plugins;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The plugins this machine can run, by job type, and which requested job types it cannot. */
public final class PluginRegistry {

  /** What the node advertises, and why the rest of what the operator asked for is left out. */
  public record CapabilityPlan(List<String> advertised, Map<String, String> unavailable) {
    public CapabilityPlan {
      advertised = List.copyOf(advertised);
      unavailable = Map.copyOf(unavailable);
    }
  }

  private final Map<String, JobPlugin> plugins = new LinkedHashMap<>();

  /** Later plugins replace earlier ones of the same type (an operator command may replace a built-in). */
  public PluginRegistry(List<JobPlugin> available) {
    for (JobPlugin plugin : available) {
      plugins.put(plugin.jobType(), plugin);
    }
  }

  /** Only the job types this node advertises: a plugin the operator did not offer never runs. */
  public PluginRegistry restrictTo(List<String> jobTypes) {
    return new PluginRegistry(plugins.values().stream().filter(plugin -> jobTypes.contains(plugin.jobType())).toList());
  }

  public Optional<JobPlugin> find(String jobType) {
    return Optional.ofNullable(plugins.get(jobType));
  }

  public List<String> jobTypes() {
    return List.copyOf(plugins.keySet());
  }

  /**
   * The capabilities to advertise: the requested ones this machine can run (all of them when
   * nothing was requested). A job type is only offered when something here can run it.
   */
  public CapabilityPlan plan(Optional<List<String>> requested) {
    if (requested.isEmpty()) {
      return new CapabilityPlan(jobTypes(), Map.of());
    }
    List<String> advertised = new ArrayList<>();
    Map<String, String> unavailable = new LinkedHashMap<>();
    for (String type : requested.get()) {
      if (plugins.containsKey(type)) {
        advertised.add(type);
      } else if (type.equals("render")) {
        unavailable.put(type, "no Blender executable (set RT_AGENT_BLENDER or put blender on PATH)");
      } else {
        unavailable.put(type, "no plugin for it: add a command for \"" + type + "\" under \"commands\" in agent.json");
      }
    }
    return new CapabilityPlan(advertised, unavailable);
  }
}
