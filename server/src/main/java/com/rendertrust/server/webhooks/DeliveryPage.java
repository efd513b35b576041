package com.rendertrust.server.webhooks;

import java.util.List;

/** One page of an endpoint's deliveries, newest first, and how many it has in all. */
public record DeliveryPage(List<Delivery> deliveries, int count) {
}
