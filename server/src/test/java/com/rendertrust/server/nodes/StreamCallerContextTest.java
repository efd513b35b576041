package com.rendertrust.server.nodes;

import static org.assertj.core.api.Assertions.assertThat;

import com.rendertrust.api.v1.ConnectRequest;
import com.rendertrust.api.v1.ConnectResponse;
import com.rendertrust.api.v1.NodeServiceGrpc;
import com.rendertrust.api.v1.Welcome;
import com.rendertrust.server.ControlPlane;
import com.rendertrust.server.platform.auth.Caller;
import com.rendertrust.server.platform.auth.CallerContext;
import com.rendertrust.server.testing.GrpcCredentials;
import com.rendertrust.server.testing.TestServer;
import com.rendertrust.server.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Connect stream's later frames run in listener callbacks, not in the call's start: the
 * access-control interceptor must attach the authenticated caller to the whole call
 * (Contexts.interceptCall), or a stream handler reading CallerContext on a frame would see
 * nobody. Checked with identity's real interceptor and a real node token, on a thread pool.
 */
class StreamCallerContextTest {

  @Test
  void everyFrameOfAStreamSeesTheAuthenticatedNode() throws Exception {
    try (TestServer server = TestServer.start()) {
      List<String> seenOnFrames = new CopyOnWriteArrayList<>();
      NodeServiceGrpc.NodeServiceImplBase echoCaller = new NodeServiceGrpc.NodeServiceImplBase() {
        @Override
        public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responses) {
          return new StreamObserver<>() {
            @Override
            public void onNext(ConnectRequest frame) {
              String caller = CallerContext.current().map(Caller::id).map(UUID::toString).orElse("nobody");
              seenOnFrames.add(caller);
              responses.onNext(ConnectResponse.newBuilder().setWelcome(Welcome.newBuilder().setNodeId(caller)).build());
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
              responses.onCompleted();
            }
          };
        }
      };
      String name = InProcessServerBuilder.generateName();
      Server grpc = InProcessServerBuilder.forName(name).executor(Executors.newFixedThreadPool(4))
          .addService(ControlPlane.pipeline(new SimpleMeterRegistry(), server.controlPlane().identity().accessControl())
              .wrap(echoCaller))
          .build().start();
      ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
      try {
        UUID nodeId = UUID.randomUUID();
        String token = server.controlPlane().identity().tokens().issueNodeToken(TestTokens.madeUpNode(nodeId)).value();
        LinkedBlockingQueue<ConnectResponse> answers = new LinkedBlockingQueue<>();
        StreamObserver<ConnectRequest> requests = NodeServiceGrpc.newStub(channel)
            .withCallCredentials(GrpcCredentials.bearer(token))
            .connect(new StreamObserver<>() {
              @Override
              public void onNext(ConnectResponse value) {
                answers.add(value);
              }

              @Override
              public void onError(Throwable t) {
              }

              @Override
              public void onCompleted() {
              }
            });
        for (int i = 0; i < 3; i++) {
          requests.onNext(ConnectRequest.getDefaultInstance());
          ConnectResponse answer = answers.poll(10, TimeUnit.SECONDS);
          assertThat(answer).isNotNull();
          assertThat(answer.getWelcome().getNodeId()).isEqualTo(nodeId.toString());
        }
        requests.onCompleted();
        assertThat(seenOnFrames).containsExactly(nodeId.toString(), nodeId.toString(), nodeId.toString());
      } finally {
        channel.shutdownNow();
        grpc.shutdownNow();
      }
    }
  }
}
