package com.rendertrust.server.platform.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps every failure of every call to the one error model: exceptions thrown by handlers and
 * failures handed to {@code onError} (which grpc-java reports as UNKNOWN with the cause) both
 * leave as {@link GrpcErrors#toStatusException}. It also makes sure a call closes at most once.
 */
public final class ErrorMappingInterceptor implements ServerInterceptor {

  private static final Logger log = LoggerFactory.getLogger(ErrorMappingInterceptor.class);

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    MappingCall<Q, R> mappingCall = new MappingCall<>(call);
    ServerCall.Listener<Q> delegate;
    try {
      delegate = next.startCall(mappingCall, headers);
    } catch (RuntimeException e) {
      mappingCall.fail(e);
      return new ServerCall.Listener<>() { };
    }
    return new SimpleForwardingServerCallListener<>(delegate) {
      @Override
      public void onMessage(Q message) {
        try {
          super.onMessage(message);
        } catch (RuntimeException e) {
          mappingCall.fail(e);
        }
      }

      @Override
      public void onHalfClose() {
        try {
          super.onHalfClose();
        } catch (RuntimeException e) {
          mappingCall.fail(e);
        }
      }

      @Override
      public void onReady() {
        try {
          super.onReady();
        } catch (RuntimeException e) {
          mappingCall.fail(e);
        }
      }

      @Override
      public void onCancel() {
        try {
          super.onCancel();
        } catch (RuntimeException e) {
          log.warn("failure while cancelling {}", mappingCall.getMethodDescriptor().getFullMethodName(), e);
        }
      }

      @Override
      public void onComplete() {
        try {
          super.onComplete();
        } catch (RuntimeException e) {
          log.warn("failure after completing {}", mappingCall.getMethodDescriptor().getFullMethodName(), e);
        }
      }
    };
  }

  private static final class MappingCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
    private final AtomicBoolean closed = new AtomicBoolean();

    MappingCall(ServerCall<Q, R> delegate) {
      super(delegate);
    }

    void fail(Throwable failure) {
      StatusRuntimeException mapped = GrpcErrors.toStatusException(failure);
      close(mapped.getStatus(), mapped.getTrailers() == null ? new Metadata() : mapped.getTrailers());
    }

    @Override
    public void close(Status status, Metadata trailers) {
      if (!closed.compareAndSet(false, true)) {
        log.debug("ignoring second close of {} with {}", getMethodDescriptor().getFullMethodName(), status);
        return;
      }
      Throwable cause = status.getCause();
      if (!status.isOk() && cause != null && status.getCode() == Status.Code.UNKNOWN) {
        StatusRuntimeException mapped = GrpcErrors.toStatusException(cause);
        Metadata merged = trailers;
        if (mapped.getTrailers() != null) {
          merged.merge(mapped.getTrailers());
        }
        super.close(mapped.getStatus(), merged);
        return;
      }
      super.close(status, trailers);
    }
  }
}
