#!/usr/bin/env python3
"""A stand-in for the Stripe API for offline development (never for production).

Answers POST /v1/checkout/sessions with a new Checkout Session and prints what it was asked,
so `./rendertrust dev` can run the whole purchase flow without network access:

    python3 tools/fake-stripe.py 12111 &
    RT_STRIPE_SECRET_KEY=sk_test_offline RT_STRIPE_API_BASE=http://127.0.0.1:12111 \
    RT_STRIPE_WEBHOOK_SECRET=whsec_dev_local ./rendertrust dev

then sign and send the webhook yourself (docs/credits.md, "Buying credits in development").
"""
import http.server
import itertools
import json
import sys
import urllib.parse

counter = itertools.count(1)


class FakeStripe(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        form = dict(urllib.parse.parse_qsl(body))
        if self.path != "/v1/checkout/sessions":
            return self.answer(404, {"error": {"type": "invalid_request_error", "message": "not faked"}})
        session_id = "cs_test_offline_%d" % next(counter)
        print("session %s for user %s, %s cents, idempotency key %s" % (
            session_id, form.get("client_reference_id"), form.get("line_items[0][price_data][unit_amount]"),
            self.headers.get("Idempotency-Key")), flush=True)
        self.answer(200, {"id": session_id, "object": "checkout.session", "mode": "payment",
                          "url": "https://checkout.stripe.test/pay/" + session_id,
                          "payment_status": "unpaid", "status": "open"})

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 12111
    http.server.ThreadingHTTPServer(("127.0.0.1", port), FakeStripe).serve_forever()
