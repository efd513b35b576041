package com.rendertrust.server.payments;

import com.google.api.HttpBody;
import com.rendertrust.api.v1.StripeWebhookResponse;
import com.rendertrust.api.v1.WebhookServiceGrpc;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;

/**
 * gRPC adapter of {@link StripeWebhookProcessor}: the raw body and the {@code stripe-signature}
 * header in, {@code {"received":true}} out for every accepted delivery (duplicates and ignored
 * types included, so Stripe stops retrying). Public: authenticated by the signature alone.
 */
public final class WebhookGrpcService extends WebhookServiceGrpc.WebhookServiceImplBase {

  private static final StripeWebhookResponse RECEIVED = StripeWebhookResponse.newBuilder().setReceived(true).build();

  private final StripeWebhookProcessor processor;

  private WebhookGrpcService(StripeWebhookProcessor processor) {
    this.processor = processor;
  }

  /** The service as it must be bound: behind the interceptor that supplies the signature header. */
  public static BindableService bindable(StripeWebhookProcessor processor) {
    return () -> ServerInterceptors.intercept(new WebhookGrpcService(processor), new StripeSignatureInterceptor());
  }

  @Override
  public void stripeWebhook(HttpBody request, StreamObserver<StripeWebhookResponse> responses) {
    processor.receive(request.getData().toByteArray(), StripeSignatureInterceptor.current());
    responses.onNext(RECEIVED);
    responses.onCompleted();
  }
}
