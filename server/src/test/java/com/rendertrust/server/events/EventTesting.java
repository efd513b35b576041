package com.rendertrust.server.events;

import static com.rendertrust.server.testing.JobsTesting.userBearer;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.rendertrust.api.v1.JobEvent;
import com.rendertrust.api.v1.JobServiceGrpc;
import com.rendertrust.api.v1.WatchJobRequest;
import com.rendertrust.server.testing.Json;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import io.grpc.ClientInterceptors;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Clients of the events API for tests: an SSE reader, a gRPC watcher, and the table's gaplessness. */
final class EventTesting {

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private EventTesting() {
  }

  /** One SSE message as received. */
  record SseEvent(String id, String event, JsonNode data) {
  }

  /** An open SSE response: its status, and its messages as they arrive. */
  record Sse(int status, BlockingQueue<SseEvent> events, CompletableFuture<Void> closed) {

    SseEvent next() {
      try {
        SseEvent event = events.poll(20, TimeUnit.SECONDS);
        assertThat(event).as("an SSE message within 20 s").isNotNull();
        return event;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /** Every message until the server closes the stream. */
    List<SseEvent> untilClosed() {
      closed.orTimeout(30, TimeUnit.SECONDS).join();
      List<SseEvent> all = new ArrayList<>();
      events.drainTo(all);
      return all;
    }
  }

  /** GET the events path with Accept: text/event-stream (and the given header pairs). */
  static Sse sse(TestServer server, String jobId, String... headers) {
    HttpRequest.Builder request = HttpRequest.newBuilder(server.uri("/api/v1/jobs/" + jobId + "/events"))
        .header("Accept", "text/event-stream").GET();
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<Stream<String>> response;
    try {
      response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    BlockingQueue<SseEvent> events = new LinkedBlockingQueue<>();
    CompletableFuture<Void> closed = CompletableFuture.runAsync(() -> {
      String id = null;
      String event = null;
      StringBuilder data = new StringBuilder();
      for (String line : (Iterable<String>) response.body()::iterator) {
        if (line.isEmpty()) {
          if (event != null) {
            events.add(new SseEvent(id, event, Json.parse(data.toString())));
          }
          id = null;
          event = null;
          data.setLength(0);
        } else if (line.startsWith("id: ")) {
          id = line.substring(4);
        } else if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data.append(line.substring(6));
        }
      }
    }, runnable -> Thread.ofVirtual().start(runnable));
    return new Sse(response.statusCode(), events, closed);
  }

  /** A gRPC WatchJob of {@code user}; events and the end of the stream land in the queue/future. */
  record Watcher(BlockingQueue<JobEvent> events, CompletableFuture<io.grpc.Status> ended) {

    JobEvent next() {
      try {
        JobEvent event = events.poll(20, TimeUnit.SECONDS);
        assertThat(event).as("a watched event within 20 s").isNotNull();
        return event;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /** The types of the next {@code count} events. */
    List<String> nextTypes(int count) {
      List<String> types = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        types.add(next().getType());
      }
      return types;
    }

    io.grpc.Status awaitEnd() {
      return ended.orTimeout(20, TimeUnit.SECONDS).join();
    }
  }

  static Watcher watch(TestServer server, UUID user, WatchJobRequest request) {
    BlockingQueue<JobEvent> events = new LinkedBlockingQueue<>();
    CompletableFuture<io.grpc.Status> ended = new CompletableFuture<>();
    JobServiceGrpc.newStub(ClientInterceptors.intercept(server.channel(), TestTokens.as(server, user)))
        .watchJob(request, new StreamObserver<>() {
          @Override
          public void onNext(JobEvent value) {
            events.add(value);
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(io.grpc.Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            ended.complete(io.grpc.Status.OK);
          }
        });
    return new Watcher(events, ended);
  }

  /** Submits an echo job (price 0) as {@code user}; answers its id. */
  static String submitEcho(TestServer server, UUID user) {
    HttpResponse<String> response = server.postJson("/api/v1/jobs/dispatch", "{\"job_type\":\"echo\"}",
        "Authorization", userBearer(server, user));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Json.parse(response.body()).get("job_id").asText();
  }

  /** Every job's seqs in job_events are exactly 1..n. */
  static void assertGapless(TestServer server) {
    var broken = server.controlPlane().database().dsl().fetch("""
        SELECT job_id FROM job_events GROUP BY job_id
        HAVING min(seq) <> 1 OR max(seq) <> count(*) OR count(DISTINCT seq) <> count(*)""");
    assertThat(broken).as("jobs whose seqs are not 1..n").isEmpty();
  }

  static final Duration SHORT = Duration.ofSeconds(20);
}
