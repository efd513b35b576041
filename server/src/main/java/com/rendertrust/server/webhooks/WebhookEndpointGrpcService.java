package com.rendertrust.server.webhooks;

import com.rendertrust.api.v1.CreateWebhookEndpointRequest;
import com.rendertrust.api.v1.CreateWebhookEndpointResponse;
import com.rendertrust.api.v1.DeleteWebhookEndpointRequest;
import com.rendertrust.api.v1.DeleteWebhookEndpointResponse;
import com.rendertrust.api.v1.ListWebhookDeliveriesRequest;
import com.rendertrust.api.v1.ListWebhookDeliveriesResponse;
import com.rendertrust.api.v1.ListWebhookEndpointsRequest;
import com.rendertrust.api.v1.ListWebhookEndpointsResponse;
import com.rendertrust.api.v1.RedeliverWebhookRequest;
import com.rendertrust.api.v1.RedeliverWebhookResponse;
import com.rendertrust.api.v1.RotateWebhookSecretRequest;
import com.rendertrust.api.v1.RotateWebhookSecretResponse;
import com.rendertrust.api.v1.SendTestWebhookRequest;
import com.rendertrust.api.v1.SendTestWebhookResponse;
import com.rendertrust.api.v1.WebhookEndpointServiceGrpc;
import com.rendertrust.server.platform.auth.CallerContext;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/** gRPC adapter of {@link WebhookService}: proto in, domain records through, proto out. */
final class WebhookEndpointGrpcService extends WebhookEndpointServiceGrpc.WebhookEndpointServiceImplBase {

  private final WebhookService webhooks;

  WebhookEndpointGrpcService(WebhookService webhooks) {
    this.webhooks = webhooks;
  }

  @Override
  public void createWebhookEndpoint(CreateWebhookEndpointRequest request,
      StreamObserver<CreateWebhookEndpointResponse> responses) {
    CreatedEndpoint created = webhooks.create(CallerContext.requireUser(), request.getUrl(), request.getEventsList(),
        request.getDescription());
    responses.onNext(CreateWebhookEndpointResponse.newBuilder()
        .setEndpoint(toProto(created.endpoint()))
        .setSecret(created.secret())
        .build());
    responses.onCompleted();
  }

  @Override
  public void listWebhookEndpoints(ListWebhookEndpointsRequest request,
      StreamObserver<ListWebhookEndpointsResponse> responses) {
    List<Endpoint> endpoints = webhooks.list(CallerContext.requireUser());
    ListWebhookEndpointsResponse.Builder response = ListWebhookEndpointsResponse.newBuilder()
        .setCount(endpoints.size());
    endpoints.forEach(endpoint -> response.addEndpoints(toProto(endpoint)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void deleteWebhookEndpoint(DeleteWebhookEndpointRequest request,
      StreamObserver<DeleteWebhookEndpointResponse> responses) {
    Endpoint deleted = webhooks.delete(CallerContext.requireUser(), request.getId());
    responses.onNext(DeleteWebhookEndpointResponse.newBuilder().setEndpoint(toProto(deleted)).build());
    responses.onCompleted();
  }

  @Override
  public void rotateWebhookSecret(RotateWebhookSecretRequest request,
      StreamObserver<RotateWebhookSecretResponse> responses) {
    String secret = webhooks.rotateSecret(CallerContext.requireUser(), request.getId());
    responses.onNext(RotateWebhookSecretResponse.newBuilder().setSecret(secret).build());
    responses.onCompleted();
  }

  @Override
  public void sendTestWebhook(SendTestWebhookRequest request, StreamObserver<SendTestWebhookResponse> responses) {
    String eventId = webhooks.sendTest(CallerContext.requireUser(), request.getId());
    responses.onNext(SendTestWebhookResponse.newBuilder().setEventId(eventId).build());
    responses.onCompleted();
  }

  @Override
  public void listWebhookDeliveries(ListWebhookDeliveriesRequest request,
      StreamObserver<ListWebhookDeliveriesResponse> responses) {
    DeliveryPage page = webhooks.deliveries(CallerContext.requireUser(), request.getId(), request.getLimit(),
        request.getOffset());
    ListWebhookDeliveriesResponse.Builder response = ListWebhookDeliveriesResponse.newBuilder().setCount(page.count());
    page.deliveries().forEach(delivery -> response.addDeliveries(toProto(delivery)));
    responses.onNext(response.build());
    responses.onCompleted();
  }

  @Override
  public void redeliverWebhook(RedeliverWebhookRequest request, StreamObserver<RedeliverWebhookResponse> responses) {
    Delivery delivery = webhooks.redeliver(CallerContext.requireUser(), request.getId());
    responses.onNext(RedeliverWebhookResponse.newBuilder().setDelivery(toProto(delivery)).build());
    responses.onCompleted();
  }

  static com.rendertrust.api.v1.WebhookEndpoint toProto(Endpoint endpoint) {
    com.rendertrust.api.v1.WebhookEndpoint.Builder proto = com.rendertrust.api.v1.WebhookEndpoint.newBuilder()
        .setId(endpoint.id().toString())
        .setUrl(endpoint.url())
        .addAllEvents(endpoint.events())
        .setDescription(endpoint.description())
        .setEnabled(endpoint.enabled())
        .setCreatedAt(timestamp(endpoint.createdAt()));
    endpoint.disabledAt().ifPresent(at -> proto.setDisabledAt(timestamp(at)));
    return proto.build();
  }

  static com.rendertrust.api.v1.WebhookDelivery toProto(Delivery delivery) {
    com.rendertrust.api.v1.WebhookDelivery.Builder proto = com.rendertrust.api.v1.WebhookDelivery.newBuilder()
        .setId(delivery.id().toString())
        .setEventId(delivery.eventId())
        .setEventType(delivery.eventType())
        .setAttempts(delivery.attempts())
        .setStatus(delivery.status().name())
        .setCreatedAt(timestamp(delivery.createdAt()));
    delivery.responseStatus().ifPresent(proto::setResponseStatus);
    delivery.lastError().ifPresent(proto::setLastError);
    if (delivery.status() == Delivery.DeliveryStatus.PENDING) {
      proto.setNextAttemptAt(timestamp(delivery.nextAttemptAt()));
    }
    return proto.build();
  }

  /** RFC 3339, UTC, microseconds (PostgreSQL's precision). */
  private static String timestamp(Instant instant) {
    return instant.truncatedTo(ChronoUnit.MICROS).toString();
  }
}
