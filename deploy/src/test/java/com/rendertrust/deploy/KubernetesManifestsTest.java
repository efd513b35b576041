package com.rendertrust.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.agent.config.Setting;
import com.rendertrust.server.platform.config.ConfigLoader;
import com.rendertrust.server.platform.config.ServerConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s parsed into typed Kubernetes objects and held to the programs' own configuration:
 * the server's variables, port, probe paths and drain time, Envoy's config files, the agent's
 * variables and drain time; secrets only by reference.
 */
class KubernetesManifestsTest {

  /** Variables whose values are secrets: they may only come from a Secret. */
  private static final Set<String> SECRET_VARIABLES = Set.of("RT_DATABASE_PASSWORD", "RT_JWT_PRIVATE_JWK",
      "RT_STRIPE_SECRET_KEY", "RT_STRIPE_WEBHOOK_SECRET", "RT_CHAIN_PRIVATE_KEY", "RT_S3_SECRET_ACCESS_KEY",
      "RT_STORAGE_SIGNING_KEY", "RT_AGENT_OPERATOR_TOKEN", "RT_DATABASE_URL", "RT_REDIS_URL");

  private static JsonNode kustomization;
  private static List<HasMetadata> objects;

  @BeforeAll
  static void read() throws IOException {
    Path k8s = Manifests.deploy().resolve("k8s");
    kustomization = Manifests.tree(k8s.resolve("kustomization.yaml"));
    objects = new ArrayList<>();
    for (JsonNode resource : kustomization.path("resources")) {
      objects.addAll(Manifests.objects(k8s.resolve(resource.asText())));
    }
  }

  @Test
  void everyResourceParsesAndNoSecretIsInlined() {
    assertThat(objects).hasSizeGreaterThanOrEqualTo(kustomization.path("resources").size());
    assertThat(objects).noneMatch(Secret.class::isInstance);
    assertThat(kustomization.path("namespace").asText()).isEqualTo("rendertrust");
    for (HasMetadata object : objects) {
      for (Container container : containers(object)) {
        for (EnvVar env : container.getEnv()) {
          if (SECRET_VARIABLES.contains(env.getName())) {
            assertThat(env.getValue()).as(env.getName() + " inlined").isNull();
            assertThat(env.getValueFrom().getSecretKeyRef()).as(env.getName() + " from a Secret").isNotNull();
          }
        }
      }
    }
    for (String key : configMap("rendertrust-server-config").getData().keySet()) {
      assertThat(SECRET_VARIABLES).as("a secret in a ConfigMap").doesNotContain(key);
    }
  }

  @Test
  void theServerDeploymentSetsOnlyVariablesTheServerKnowsAndItsConfigLoads() throws IOException {
    Deployment server = Manifests.one(objects, Deployment.class, "rendertrust-server");
    Map<String, String> env = serverEnvironment(server);
    Set<String> known = Manifests.serverVariables();
    Set<String> unknown = env.keySet().stream().filter(name -> name.startsWith("RT_"))
        .filter(name -> !known.contains(name)).collect(Collectors.toCollection(TreeSet::new));
    assertThat(unknown).as("RT_* variables the server does not read").isEmpty();

    ServerConfig config = new ConfigLoader(env).load(false);
    assertThat(config.environment()).isEqualTo("production");
    assertThat(config.embeddedDatabase()).isFalse();
    assertThat(config.embeddedRedis()).isFalse();
    assertThat(config.storage().s3()).as("replicas share an S3 store").isPresent();

    Container container = server.getSpec().getTemplate().getSpec().getContainers().get(0);
    ContainerPort http = port(container, "http");
    assertThat(http.getContainerPort()).isEqualTo(config.httpPort());
    Service service = Manifests.one(objects, Service.class, "rendertrust-server");
    assertThat(service.getSpec().getPorts().get(0).getPort()).isEqualTo(config.httpPort());
    assertThat(service.getSpec().getSelector()).isEqualTo(server.getSpec().getSelector().getMatchLabels());
    assertThat(server.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry("prometheus.io/port", Integer.toString(config.httpPort()))
        .containsEntry("prometheus.io/path", "/metrics");

    // the same environment seen as what the server does with it
    assertThat(config.shutdownGrace()).isEqualTo(Duration.ofSeconds(Long.parseLong(env.get("RT_SHUTDOWN_GRACE_SECONDS"))));
  }

  @Test
  void theServerRunsTwoReplicasWithTheRightProbesAndDrainsBeforeItIsKilled() throws IOException {
    Deployment server = Manifests.one(objects, Deployment.class, "rendertrust-server");
    assertThat(server.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(server.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
    PodSpec pod = server.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);
    assertHttpProbe(container.getReadinessProbe(), "/api/v1/health/ready", container);
    assertHttpProbe(container.getLivenessProbe(), "/health", container);

    ServerConfig config = new ConfigLoader(serverEnvironment(server)).load(false);
    List<String> preStop = container.getLifecycle().getPreStop().getExec().getCommand();
    assertThat(preStop.get(0)).isEqualTo("sleep");
    long pause = Long.parseLong(preStop.get(1));
    assertThat(pause).isPositive();
    assertThat(pod.getTerminationGracePeriodSeconds())
        .as("grace > preStop pause + RT_SHUTDOWN_GRACE_SECONDS")
        .isGreaterThan(pause + config.shutdownGrace().toSeconds());

    assertThat(container.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(container.getResources().getLimits()).containsKey("memory");
    String javaOptions = container.getEnv().stream().filter(e -> e.getName().equals("JAVA_TOOL_OPTIONS"))
        .findFirst().map(EnvVar::getValue).orElseThrow();
    assertThat(javaOptions).contains("-XX:MaxRAMPercentage=").contains("-XX:+ExitOnOutOfMemoryError");
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();

    PodDisruptionBudget budget = Manifests.one(objects, PodDisruptionBudget.class, "rendertrust-server");
    assertThat(budget.getSpec().getSelector().getMatchLabels()).isEqualTo(server.getSpec().getSelector().getMatchLabels());
  }

  @Test
  void envoyMountsEveryFileItsConfigReadsFromTheGeneratedConfigMapAndScales() throws IOException {
    Deployment envoy = Manifests.one(objects, Deployment.class, "rendertrust-envoy");
    PodSpec pod = envoy.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);
    VolumeMount mount = container.getVolumeMounts().stream()
        .filter(m -> m.getMountPath().equals("/etc/envoy")).findFirst().orElseThrow();
    Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    assertThat(volume.getConfigMap().getName()).isEqualTo("rendertrust-envoy-config");

    Map<String, String> generated = new LinkedHashMap<>();
    for (JsonNode generator : kustomization.path("configMapGenerator")) {
      if (generator.path("name").asText().equals("rendertrust-envoy-config")) {
        for (JsonNode file : generator.path("files")) {
          String[] keyAndPath = file.asText().split("=", 2);
          generated.put(keyAndPath[0], keyAndPath[1]);
        }
      }
    }
    Map<String, String> mountedPaths = new HashMap<>();
    volume.getConfigMap().getItems().forEach(item -> mountedPaths.put("/etc/envoy/" + item.getPath(), item.getKey()));
    assertThat(generated.keySet()).containsExactlyInAnyOrderElementsOf(mountedPaths.values());
    // each generated key comes from the rendered folder at the same relative path it is mounted at
    mountedPaths.forEach((path, key) ->
        assertThat(generated.get(key)).isEqualTo("envoy-config/" + path.substring("/etc/envoy/".length())));

    // every /etc/envoy file the gateway's config reads (TLS aside: the balancer in front terminates it)
    String envoyYaml = Files.readString(Manifests.root().resolve("gateway-envoy/src/main/envoy/envoy.yaml"));
    Matcher files = Pattern.compile("(/etc/envoy/[A-Za-z0-9_./-]+\\.(?:lua|pb|yaml))").matcher(envoyYaml);
    Set<String> read = new TreeSet<>();
    while (files.find()) {
      read.add(files.group(1));
    }
    read.add("/etc/envoy/envoy.yaml");
    assertThat(mountedPaths.keySet()).containsAll(read);
    assertThat(container.getArgs()).containsSequence("-c", "/etc/envoy/envoy.yaml");

    // the upstream name envoy.yaml resolves is the server's headless Service, at the server's port
    Matcher upstream = Pattern.compile("socket_address: \\{address: ([a-z0-9-]+), port_value: (\\d+)}")
        .matcher(envoyYaml.substring(envoyYaml.indexOf("BEGIN UPSTREAM ENDPOINTS")));
    assertThat(upstream.find()).isTrue();
    Service server = Manifests.one(objects, Service.class, upstream.group(1));
    assertThat(server.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(server.getSpec().getPorts().get(0).getPort()).isEqualTo(Integer.parseInt(upstream.group(2)));

    Matcher listener = Pattern.compile("port_value: (\\d+)").matcher(
        envoyYaml.substring(envoyYaml.indexOf("listeners:")));
    assertThat(listener.find()).isTrue();
    assertThat(port(container, "http").getContainerPort()).isEqualTo(Integer.parseInt(listener.group(1)));
    assertHttpProbe(container.getReadinessProbe(), "/gateway/health", container);

    PodDisruptionBudget budget = Manifests.one(objects, PodDisruptionBudget.class, "rendertrust-envoy");
    assertThat(budget.getSpec().getSelector().getMatchLabels()).isEqualTo(envoy.getSpec().getSelector().getMatchLabels());
    HorizontalPodAutoscaler hpa = Manifests.one(objects, HorizontalPodAutoscaler.class, "rendertrust-envoy");
    assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("Deployment");
    assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("rendertrust-envoy");
    assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(hpa.getSpec().getMaxReplicas()).isGreaterThan(hpa.getSpec().getMinReplicas());
  }

  @Test
  void theAgentRunsOnLabelledGpuNodesWithVariablesItKnowsAndTimeToDrain() {
    DaemonSet agent = Manifests.one(objects, DaemonSet.class, "rendertrust-agent");
    PodSpec pod = agent.getSpec().getTemplate().getSpec();
    assertThat(pod.getNodeSelector()).containsEntry("rendertrust.io/gpu", "true");
    Container container = pod.getContainers().get(0);
    assertThat(container.getResources().getLimits()).containsKey("nvidia.com/gpu");

    Set<String> known = new TreeSet<>();
    for (Setting setting : Setting.values()) {
      setting.env().ifPresent(known::add);
    }
    Map<String, EnvVar> env = new LinkedHashMap<>();
    container.getEnv().forEach(variable -> env.put(variable.getName(), variable));
    assertThat(env.keySet().stream().filter(name -> name.startsWith("RT_")).filter(name -> !name.equals("RT_LOG_FORMAT")))
        .as("RT_* variables the agent reads").allMatch(known::contains);

    long drain = Long.parseLong(env.get("RT_AGENT_DRAIN_GRACE_SECONDS").getValue());
    assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(drain);
    int healthPort = port(container, "health").getContainerPort();
    assertThat(healthPort).isEqualTo(Integer.parseInt(Setting.HEALTH_PORT.defaultText()));
    assertThat(env.get("RT_AGENT_HEALTH_BIND").getValue()).as("probes reach the health port").isEqualTo("0.0.0.0");
    assertHttpProbe(container.getLivenessProbe(), "/health", container);
    assertThat(env.get("RT_AGENT_SERVER").getValue()).isEqualTo("http://rendertrust-envoy:"
        + Manifests.one(objects, Service.class, "rendertrust-envoy").getSpec().getPorts().get(0).getPort());
  }

  private static void assertHttpProbe(Probe probe, String path, Container container) {
    assertThat(probe).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    String portName = probe.getHttpGet().getPort().getStrVal();
    assertThat(container.getPorts()).anyMatch(port -> port.getName().equals(portName));
  }

  private static ContainerPort port(Container container, String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .orElseThrow(() -> new AssertionError("no port " + name));
  }

  private static ConfigMap configMap(String name) {
    return Manifests.one(objects, ConfigMap.class, name);
  }

  /**
   * The server container's environment as the pod would see it: its ConfigMap's entries, then its
   * own variables; a Secret's value is a placeholder of the right shape.
   */
  private static Map<String, String> serverEnvironment(Deployment server) {
    Container container = server.getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = new LinkedHashMap<>();
    container.getEnvFrom().forEach(source -> env.putAll(configMap(source.getConfigMapRef().getName()).getData()));
    for (EnvVar variable : container.getEnv()) {
      String value = Optional.ofNullable(variable.getValue()).orElseGet(() -> placeholder(variable.getName()));
      env.put(variable.getName(), value);
    }
    return env;
  }

  private static String placeholder(String name) {
    return switch (name) {
      case "RT_DATABASE_URL" -> "jdbc:postgresql://postgres.example:5432/rendertrust";
      case "RT_REDIS_URL" -> "redis://redis.example:6379";
      case "RT_CHAIN_RPC_URL" -> "https://rpc.example";
      case "RT_CHAIN_PRIVATE_KEY" -> "0x" + "11".repeat(32);
      default -> "secret-" + name.toLowerCase();
    };
  }

  private static List<Container> containers(HasMetadata object) {
    if (object instanceof Deployment deployment) {
      return deployment.getSpec().getTemplate().getSpec().getContainers();
    }
    if (object instanceof DaemonSet daemonSet) {
      return daemonSet.getSpec().getTemplate().getSpec().getContainers();
    }
    return List.of();
  }
}
