package com.rendertrust.agent.link;

import com.rendertrust.agent.identity.NodeIdentity;
import com.rendertrust.agent.identity.NodeKeys;
import com.rendertrust.agent.jobs.JobSpec;
import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.Hello;
import com.rendertrust.api.v1.NodeHeartbeat;
import com.rendertrust.api.v1.NodeServiceGrpc;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the node's one Connect stream for as long as the agent runs: opens it with Hello, waits
 * for Welcome, sends heartbeats at the Welcome's interval, hands dispatches, cancels and drains to
 * the agent, and when the stream ends for any reason opens a new one after an exponential,
 * jittered backoff (reset once a stream is established). A rejected token or key proof renews the
 * node's credentials before the next attempt.
 */
public final class ServerLink implements ReportOutbox.FrameSink, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ServerLink.class);
  private static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(30);

  /** What the server asks of the agent. Called on gRPC threads; must not block. */
  public interface Inbound {
    /** @param streamDraining the server sent Drain on this stream: take no new job from it */
    void onDispatch(JobSpec job, boolean streamDraining);

    void onCancel(String jobId, String assignmentId, String reason);

    void onDrain(String reason, Duration grace);
  }

  private final Channel channel;
  private final CredentialKeeper credentials;
  private final PrivateKey privateKey;
  private final ReportOutbox outbox;
  private final Inbound inbound;
  private final Supplier<Hello.Builder> helloContent;
  private final Supplier<NodeHeartbeat> heartbeatContent;
  private final Backoff backoff;
  private final ConnectionState state;
  private final Duration welcomeTimeout;
  private final ScheduledExecutorService timer;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private volatile boolean stopping;
  private volatile Session current;
  private long generations;
  private Thread supervisor;

  public ServerLink(Channel channel, CredentialKeeper credentials, PrivateKey privateKey, ReportOutbox outbox,
      Inbound inbound, Supplier<Hello.Builder> helloContent, Supplier<NodeHeartbeat> heartbeatContent, Backoff backoff,
      ConnectionState state, Duration welcomeTimeout, ScheduledExecutorService timer) {
    this.channel = channel;
    this.credentials = credentials;
    this.privateKey = privateKey;
    this.outbox = outbox;
    this.inbound = inbound;
    this.helloContent = helloContent;
    this.heartbeatContent = heartbeatContent;
    this.backoff = backoff;
    this.state = state;
    this.welcomeTimeout = welcomeTimeout;
    this.timer = timer;
  }

  public synchronized void start() {
    supervisor = new Thread(this::superviseStreams, "server-link");
    supervisor.setDaemon(true);
    supervisor.start();
  }

  /** Writes a frame to the established stream; its generation if written, empty when disconnected. */
  @Override
  public OptionalLong send(ConnectRequest frame) {
    Session session = current;
    if (session == null || !session.established) {
      return OptionalLong.empty();
    }
    return session.write(frame) ? OptionalLong.of(session.generation) : OptionalLong.empty();
  }

  /** Sends a heartbeat now (free slots changed, e.g. draining began). */
  public void heartbeatNow() {
    Session session = current;
    if (session != null && session.established) {
      session.write(ConnectRequest.newBuilder().setHeartbeat(heartbeatContent.get()).build());
    }
  }

  /** Ends the current stream so the next one starts with fresh credentials. */
  public void reconnectNow(String why) {
    Session session = current;
    if (session != null) {
      session.cancel(why);
    }
  }

  /** Half-closes the stream (the server sees a clean end and requeues what it still assigns here) and stops. */
  @Override
  public void close() {
    stopping = true;
    stopRequested.countDown();
    Session session = current;
    if (session != null) {
      session.halfClose();
      try {
        session.ended.get(2, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        session.cancel("agent stopping");
      } catch (Exception e) {
        // ended with an error: nothing left to close
      }
    }
    Thread thread;
    synchronized (this) {
      thread = supervisor;
    }
    if (thread != null) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    state.stopped();
  }

  private void superviseStreams() {
    while (!stopping) {
      // The channel backs off on its own while the server refuses connections (towards 2 min);
      // this loop's backoff decides when to try, so a restarted server is found promptly.
      if (channel instanceof ManagedChannel managed) {
        managed.resetConnectBackoff();
      }
      Session session;
      synchronized (this) {
        session = new Session(++generations);
      }
      current = session;
      state.connecting();
      Throwable endCause = session.runToEnd();
      current = null;
      session.cleanUp();
      if (stopping) {
        // A half-close is ordered after every frame written before it: nothing is in doubt.
        break;
      }
      outbox.onStreamEnded(session.generation, session.inDoubtWindow());
      if (session.established) {
        backoff.reset();
      }
      RpcFailure failure = endCause == null ? null : RpcFailure.of(endCause);
      String why = failure == null ? "the server ended the stream" : failure.toString();
      Duration delay = backoff.next();
      state.disconnected(why, backoff.failedAttempts(), delay);
      log.warn("stream {}: {}; reconnecting in {} ms", session.established ? "ended" : "could not be established", why,
          delay.toMillis());
      if (failure != null && failure.isCredentialProblem()) {
        try {
          credentials.renew("the server rejected the node's credentials: " + failure);
        } catch (RegistrationException | RuntimeException e) {
          log.warn("credential renewal failed: {}", e.getMessage());
        }
      }
      try {
        if (stopRequested.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    state.stopped();
  }

  /** One Connect stream, from Hello to its end. */
  private final class Session implements ClientResponseObserver<ConnectRequest, ConnectResponse> {

    final long generation;
    final CompletableFuture<Throwable> ended = new CompletableFuture<>();
    final CountDownLatch welcomed = new CountDownLatch(1);
    volatile boolean established;
    volatile boolean draining;
    private volatile Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
    private ClientCallStreamObserver<ConnectRequest> requests;
    private ScheduledFuture<?> heartbeats;
    private String provenChallenge;
    private boolean closedForWriting;

    Session(long generation) {
      this.generation = generation;
    }

    /** Opens the stream and blocks until it ends; the error that ended it, or null for a clean end. */
    Throwable runToEnd() {
      NodeIdentity identity = credentials.current();
      try {
        NodeServiceGrpc.newStub(channel).withInterceptors(Bearer.of(identity.token())).connect(this);
        Hello.Builder hello = helloContent.get();
        if (identity.pendingChallenge().isPresent()) {
          provenChallenge = identity.pendingChallenge().get();
          hello.setSignature(NodeKeys.signChallenge(privateKey, provenChallenge));
        }
        write(ConnectRequest.newBuilder().setHello(hello).build());
        if (!welcomed.await(welcomeTimeout.toMillis(), TimeUnit.MILLISECONDS) && !ended.isDone()) {
          cancel("no Welcome within " + welcomeTimeout.toSeconds() + " s");
        }
        return ended.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        cancel("interrupted");
        return e;
      } catch (Exception e) {
        cancel("stream failure");
        return e.getCause() != null ? e.getCause() : e;
      }
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ConnectRequest> requestStream) {
      synchronized (this) {
        requests = requestStream;
      }
    }

    @Override
    public void onNext(ConnectResponse frame) {
      try {
        switch (frame.getKindCase()) {
          case WELCOME -> welcome(frame.getWelcome());
          case DISPATCH -> inbound.onDispatch(Frames.jobSpec(frame.getDispatch()), draining);
          case CANCEL -> {
            outbox.cancelled(frame.getCancel().getJobId(), frame.getCancel().getAssignmentId());
            inbound.onCancel(frame.getCancel().getJobId(), frame.getCancel().getAssignmentId(), frame.getCancel().getReason());
          }
          case DRAIN -> {
            draining = true;
            inbound.onDrain(frame.getDrain().getReason(), Duration.ofSeconds(Math.max(0, frame.getDrain().getGraceSeconds())));
          }
          case KIND_NOT_SET -> log.debug("stream {}: empty frame ignored", generation);
        }
      } catch (RuntimeException e) {
        log.error("stream {}: handling a {} frame failed", generation, frame.getKindCase(), e);
      }
    }

    private void welcome(com.rendertrust.api.v1.Welcome welcome) {
      if (established) {
        return;
      }
      if (welcome.getHeartbeatIntervalSeconds() > 0) {
        heartbeatInterval = Duration.ofSeconds(welcome.getHeartbeatIntervalSeconds());
      }
      NodeIdentity identity = credentials.current();
      if (!welcome.getNodeId().isEmpty() && !welcome.getNodeId().equals(identity.nodeId())) {
        log.warn("Welcome names node {} but this agent is node {}", welcome.getNodeId(), identity.nodeId());
      }
      if (provenChallenge != null) {
        credentials.proofAccepted(provenChallenge);
      }
      established = true;
      state.connected();
      log.info("connected as node {}; heartbeat every {} s", identity.nodeId(), heartbeatInterval.toSeconds());
      synchronized (this) {
        if (!closedForWriting) {
          heartbeats = timer.scheduleAtFixedRate(this::heartbeat, heartbeatInterval.toMillis(),
              heartbeatInterval.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      welcomed.countDown();
      outbox.onEstablished();
    }

    private void heartbeat() {
      try {
        write(ConnectRequest.newBuilder().setHeartbeat(heartbeatContent.get()).build());
        outbox.settle(generation, inDoubtWindow());
      } catch (RuntimeException e) {
        log.warn("heartbeat failed", e);
      }
    }

    /** Results written within this window before the stream broke are sent again. */
    Duration inDoubtWindow() {
      return heartbeatInterval.multipliedBy(2);
    }

    @Override
    public void onError(Throwable error) {
      ended.complete(error);
      welcomed.countDown();
    }

    @Override
    public void onCompleted() {
      ended.complete(null);
      welcomed.countDown();
    }

    /** gRPC stream observers are not thread-safe: every write goes through here. */
    synchronized boolean write(ConnectRequest frame) {
      if (requests == null || closedForWriting || ended.isDone()) {
        return false;
      }
      try {
        requests.onNext(frame);
        return true;
      } catch (RuntimeException e) {
        log.debug("stream {}: write failed", generation, e);
        return false;
      }
    }

    synchronized void halfClose() {
      if (requests != null && !closedForWriting && !ended.isDone()) {
        closedForWriting = true;
        try {
          requests.onCompleted();
        } catch (RuntimeException e) {
          log.debug("stream {}: half-close failed", generation, e);
        }
      }
    }

    synchronized void cancel(String why) {
      closedForWriting = true;
      if (requests != null && !ended.isDone()) {
        requests.cancel(why, null);
      }
    }

    synchronized void cleanUp() {
      closedForWriting = true;
      if (heartbeats != null) {
        heartbeats.cancel(false);
      }
    }
  }
}
