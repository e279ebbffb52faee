#!/usr/bin/env python3
"""Launch localstripe (PyPI ``localstripe==1.15.10``) as a Stripe test peer
that async-stripe ``=1.0.0-rc.10`` can talk to.

Usage::

    python tests/support/localstripe_wrapper.py --port 8420 [--host 127.0.0.1]

It starts the same aiohttp app as ``localstripe --port PORT --from-scratch``
but:

* listens on 127.0.0.1 only (localstripe itself binds ``::``, i.e. every
  interface); ``--port 0`` picks a free port;
* prints ``localstripe-wrapper listening on http://HOST:PORT/`` on stdout
  (flushed) once the socket accepts connections: wait for that line;
* never reads or writes ``/tmp/localstripe.pickle`` (localstripe rewrites that
  shared file on every change, so parallel instances would trample it);
* adds the JSON fields async-stripe requires but localstripe omits (one
  comment per field below). Checked by deserialising localstripe's output
  with async-stripe's own types after removing each field in turn:
  PaymentIntent ``amount_capturable``, ``amount_received``,
  ``confirmation_method``, ``payment_method_types`` and
  ``last_payment_error.type``; Charge (embedded as ``latest_charge``)
  ``amount_captured``, ``billing_details``, ``disputed``; Event
  ``pending_webhooks``. Customers and Refunds deserialise as they are;
* accepts PaymentIntent ``description`` (and ``receipt_email``,
  ``statement_descriptor_suffix``, ``transfer_group``,
  ``automatic_payment_methods``), which plain localstripe rejects with
  "400 Unexpected description", and echoes them back;
* replays responses for a repeated ``Idempotency-Key`` like Stripe does
  (localstripe ignores the header);
* answers unknown routes and crashes with a Stripe-shaped JSON error so
  async-stripe reports the HTTP status instead of a deserialisation error.

Facts about localstripe 1.15.10 a test needs (read from its source and
checked against this wrapper):

Authentication
    Any ``Authorization: Bearer sk_...`` key longer than 5 characters works
    (``sk_test_x`` is enough). ``/_config/...`` routes need no key.
    ``DELETE /_config/data`` empties the store (webhook registrations stay).

Confirming a PaymentIntent so that it succeeds
    PaymentIntents are created without a payment method
    (status ``requires_payment_method``). Stripe's server-side confirm is
    ``POST /v1/payment_intents/{id}/confirm`` with ``payment_method=pm_card_visa``;
    plain localstripe answers that with "500 Not implemented", this wrapper
    accepts it (it sets the payment method, then confirms). Without the
    wrapper: ``POST /v1/payment_intents/{id}`` with
    ``payment_method=pm_card_visa`` first, then ``POST .../confirm`` with no
    body. The test ids ``pm_card_visa`` (4242 4242 4242 4242),
    ``pm_card_visa_chargeDeclined`` (4000 0000 0000 0002) and
    ``pm_card_chargeCustomerFail`` (4000 0000 0000 0341) need no prior
    PaymentMethod; any other card is ``POST /v1/payment_methods`` with
    ``type=card``, ``card[number]``, ``card[exp_month]``, ``card[exp_year]``
    (2019..2099), ``card[cvc]`` (3 digits), giving a ``pm_...`` id.
    A card charge settles synchronously: the confirm response already has
    ``status: succeeded`` (``capture_method=manual``: ``requires_capture``,
    then ``POST .../capture``). Cards 4000002500003155 and friends go to
    ``requires_action`` (3-D Secure); ``POST /v1/payment_intents/{id}/_authenticate``
    with ``client_secret`` and ``success=true|false`` (a localstripe-only
    route) completes or fails it.

Making a payment fail
    Confirm with ``pm_card_chargeCustomerFail`` (card 4000000000000341) or
    with ``pm_card_visa_chargeDeclined`` / card 4000000000000002. Plain
    localstripe declines 4000000000000002 only when the card is *attached*
    to a customer and lets a charge on it succeed; this wrapper makes charges
    on it fail too, as on Stripe ("generic decline"). The confirm request
    answers HTTP 402 ``{"error": {"type": "card_error", "code":
    "card_declined", "charge": "ch_...", "message": "Your card was
    declined."}}`` (localstripe says ``invalid_request_error``; the wrapper
    says ``card_error`` as Stripe does); the PaymentIntent goes back to
    ``requires_payment_method`` with ``last_payment_error`` set, and a
    ``payment_intent.payment_failed`` event is sent.

Webhooks
    ``POST /_config/webhooks/{any_id}`` with ``url`` (must start with http),
    ``secret`` (any string, e.g. ``whsec_test``; used as the HMAC key
    as-is, as Stripe does) and optionally ``events`` (a list: JSON body
    ``{"url": ..., "secret": ..., "events": ["payment_intent.succeeded"]}``
    or form ``events[]=...&events[]=...``; omitted = every event type).
    Posting the same id again replaces that endpoint. Each event is POSTed
    about 1 s after it happens (fire-and-forget: no retries; a non-2xx reply
    is only logged) with ``Content-Type: application/json; charset=utf-8``,
    a body of ``json.dumps(event, indent=2, sort_keys=True)`` and
    ``Stripe-Signature: t=<event.created>,v1=<hex HMAC-SHA256(secret,
    "<t>.<body>")>``: one v1 signature, ``t`` is the event's creation time,
    exactly Stripe's scheme. Events sent for PaymentIntents:
    ``payment_intent.succeeded`` (when the charge settles, with capture) and
    ``payment_intent.payment_failed`` (declined charge, or an asynchronous
    sepa_debit failure); none for ``payment_intent.created``,
    ``payment_intent.canceled`` or refunds (no ``charge.refunded``).
    ``customer.created/updated/deleted`` and invoice/subscription events
    are sent too. Event ``api_version`` is ``2017-08-15``.

Not available in localstripe
    Checkout Sessions, Connect transfers and accounts (``/v1/transfers`` is
    a 404 here), ``charge.refunded`` events; refunds accept only
    ``charge``/``payment_intent``/``amount``/``metadata``.
"""

import argparse
import hashlib
import logging
import socket
import sys
import traceback
import urllib.parse

from aiohttp import web

from localstripe import resources, server
from localstripe.errors import UserError
from localstripe.resources import (Charge, Event, PaymentIntent,
                                   PaymentMethod, try_convert_to_bool)


def _patch_store():
    # localstripe pickles the whole store to /tmp/localstripe.pickle after
    # every change (and reloads it without --from-scratch). Tests start from
    # scratch and several instances may run at once: keep everything in memory.
    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None


def _wrap_export(cls, add_fields):
    original = cls._export

    def _export(self, expand=None):
        obj = original(self, expand=expand)
        add_fields(self, obj)
        return obj

    cls._export = _export


def _payment_intent_fields(pi, obj):
    status = obj.get('status')
    # amount_capturable (i64, required by async-stripe): what a manual capture
    # could still take; the whole amount while `requires_capture`, else 0.
    obj.setdefault('amount_capturable',
                   pi.amount if status == 'requires_capture' else 0)
    # amount_received (i64, required): money actually collected; localstripe
    # has no partial captures on PaymentIntents, so the amount once succeeded.
    obj.setdefault('amount_received', pi.amount if status == 'succeeded' else 0)
    # confirmation_method (enum, required): localstripe only models the
    # server-side/automatic flow, which is Stripe's default "automatic".
    obj.setdefault('confirmation_method', 'automatic')
    # payment_method_types (Vec<String>, required): localstripe accepts the
    # parameter but drops it; keep what was asked for, else Stripe's "card".
    obj.setdefault('payment_method_types',
                   getattr(pi, '_payment_method_types', None) or ['card'])
    # description (Option, but a parameter we send): localstripe rejects it at
    # creation, so the wrapper stores it (see _patch_payment_intent_create).
    obj.setdefault('description', getattr(pi, '_description', None))
    for key in ('receipt_email', 'statement_descriptor_suffix',
                'transfer_group'):
        obj.setdefault(key, getattr(pi, '_extra', {}).get(key))
    apm = getattr(pi, '_extra', {}).get('automatic_payment_methods')
    obj.setdefault('automatic_payment_methods', apm)
    # last_payment_error (Option<ApiErrors>): async-stripe requires `type`
    # inside it, which localstripe leaves out; Stripe uses "card_error" for
    # declines and authentication failures.
    error = obj.get('last_payment_error')
    if isinstance(error, dict):
        error.setdefault('type', 'card_error')


def _charge_fields(charge, obj):
    # amount_captured (i64, required): the captured part of the charge; the
    # full amount once captured and succeeded, else 0.
    obj.setdefault('amount_captured',
                   charge.amount if (charge.captured and
                                     charge.status == 'succeeded') else 0)
    # billing_details (object, required): localstripe keeps billing details
    # only on PaymentMethods; Stripe always sends the object, with nulls.
    obj.setdefault('billing_details', {'address': None, 'email': None,
                                       'name': None, 'phone': None,
                                       'tax_id': None})
    # disputed (bool, required): localstripe has no disputes.
    obj.setdefault('disputed', False)


def _event_fields(event, obj):
    # pending_webhooks (i64, required): number of endpoints still to be
    # delivered to; nobody here reads it, and 0 is a valid value.
    obj.setdefault('pending_webhooks', 0)


def _patch_exports():
    _wrap_export(PaymentIntent, _payment_intent_fields)
    _wrap_export(Charge, _charge_fields)
    _wrap_export(Event, _event_fields)


def _patch_payment_intent_create():
    original_init = PaymentIntent.__init__
    # Parameters Stripe accepts and we (may) send, that localstripe's
    # constructor rejects with "400 Unexpected <name>": stored and echoed.
    passthrough = ('receipt_email', 'statement_descriptor_suffix',
                   'transfer_group', 'automatic_payment_methods')

    def __init__(self, *args, description=None, payment_method_types=None,
                 **kwargs):
        extra = {k: kwargs.pop(k) for k in passthrough if k in kwargs}
        apm = extra.get('automatic_payment_methods')
        if isinstance(apm, dict):
            extra['automatic_payment_methods'] = {
                k: try_convert_to_bool(v) for k, v in apm.items()}
        if description is not None and not isinstance(description, str):
            raise UserError(400, 'Bad request')
        original_init(self, *args, **kwargs)
        self._description = description
        self._payment_method_types = payment_method_types
        self._extra = extra

    PaymentIntent.__init__ = __init__


def _patch_payment_intent_confirm():
    # Stripe's POST /v1/payment_intents/{id}/confirm takes `payment_method`;
    # localstripe answers "500 Not implemented". Attach it, then confirm.
    original = PaymentIntent._api_confirm

    def _api_confirm(id, payment_method=None, **kwargs):
        if payment_method is not None:
            if (not isinstance(payment_method, str) or
                    not payment_method.startswith(('pm_', 'src_', 'card_'))):
                raise UserError(400, 'Bad request')
            PaymentMethod._api_retrieve(payment_method)  # 404 if unknown
            obj = PaymentIntent._api_retrieve(id)
            if obj.status not in ('requires_payment_method',
                                  'requires_confirmation'):
                raise UserError(400, 'Bad request')
            obj.payment_method = payment_method
        return original(id, **kwargs)

    PaymentIntent._api_confirm = staticmethod(_api_confirm)


def _patch_declines():
    # Stripe declines charges on 4000000000000002 ("generic decline", also
    # `pm_card_visa_chargeDeclined`); localstripe only declines attaching it.
    original = PaymentMethod._charging_is_declined

    def _charging_is_declined(self):
        if (self.type == 'card' and
                getattr(self, '_card_number', None) == '4000000000000002'):
            return True
        return original(self)

    PaymentMethod._charging_is_declined = _charging_is_declined

    # Stripe reports declines as type "card_error" (localstripe:
    # "invalid_request_error").
    original_raise = Charge._raise_failure

    def _raise_failure(self):
        try:
            original_raise(self)
        except UserError as e:
            e.body['error']['type'] = 'card_error'
            raise

    Charge._raise_failure = _raise_failure


def _error(status, message, type_='invalid_request_error'):
    return web.json_response(
        {'error': {'type': type_, 'message': message}}, status=status)


@web.middleware
async def json_errors_middleware(request, handler):
    # aiohttp answers unknown routes with a text/plain 404 and crashes with a
    # text 500; async-stripe then cannot parse the error and loses the status.
    try:
        return await handler(request)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        return _error(e.status, 'Unrecognized request URL (%s: %s).'
                      % (request.method, request.path))
    except UserError:
        raise
    except Exception as e:  # noqa: BLE001 -- report, do not crash the peer
        traceback.print_exc()
        return _error(500, 'localstripe crashed: %r' % (e,), 'api_error')


_idempotent = {}
_in_flight = set()


@web.middleware
async def idempotency_middleware(request, handler):
    # Stripe replays the first response for a repeated Idempotency-Key on a
    # POST (and rejects reuse with different parameters); localstripe ignores
    # the header. Only successful responses are remembered here.
    key = request.headers.get('Idempotency-Key')
    if request.method != 'POST' or not key or \
            request.path.startswith('/_config/'):
        return await handler(request)
    body = await request.read()
    # Stripe compares the parameters, not the bytes: a client may encode a
    # map (e.g. ``metadata``) in any order, so compare the sorted pairs.
    pairs = sorted(urllib.parse.parse_qsl(body.decode('utf-8', 'replace'),
                                          keep_blank_values=True))
    digest = hashlib.sha256(repr(pairs).encode()).hexdigest()
    slot = (request.headers.get('Authorization', ''), key)
    seen = _idempotent.get(slot)
    if seen is not None:
        path, seen_digest, status, text = seen
        if path != request.path or seen_digest != digest:
            return web.json_response({'error': {
                'type': 'idempotency_error',
                'message': 'Keys for idempotent requests can only be used '
                           'with the same parameters they were first used '
                           'with.'}}, status=400)
        resp = web.Response(status=status, text=text,
                            content_type='application/json')
        resp.headers['Idempotent-Replayed'] = 'true'
        return resp
    if slot in _in_flight:
        # Stripe refuses a key while a request using it is still running
        # (409, "Idempotent requests"); the client retries and then gets the
        # replay. Without this, racing requests would each create an object.
        return web.json_response({'error': {
            'type': 'idempotency_error',
            'message': 'There is currently another in-progress request '
                       'using this Idempotent Key.'}}, status=409)
    _in_flight.add(slot)
    try:
        resp = await handler(request)
    finally:
        _in_flight.discard(slot)
    if 200 <= resp.status < 300 and isinstance(resp, web.Response):
        _idempotent[slot] = (request.path, digest, resp.status, resp.text)
    return resp


def _patch_flush():
    # DELETE /_config/data also forgets idempotency keys.
    original = resources.store.clear

    def clear():
        _idempotent.clear()
        original()

    resources.store.clear = clear


# Stripe Connect transfers: localstripe has none (``/v1/transfers`` is a 404), so
# this is an in-memory stand-in written from Stripe's API reference ("Create a
# transfer"): it is a mock, not a peer. It checks what Stripe checks that matters
# to a platform (positive integer amount, 3-letter currency, an ``acct_``
# destination; ``acct_invalid…`` plays an unknown account) and answers with the
# fields async-stripe's ``Transfer`` requires. Idempotency comes from the
# middleware below, as for every other route.
_transfers = {}


async def create_transfer(request):
    form = await request.post()

    def error(status, message, param=None):
        return web.json_response({'error': {
            'type': 'invalid_request_error', 'message': message,
            'param': param}}, status=status)

    try:
        amount = int(form.get('amount', ''))
    except ValueError:
        return error(400, 'Invalid integer: amount', 'amount')
    currency = form.get('currency', '')
    destination = form.get('destination', '')
    if amount <= 0:
        return error(400, 'Amount must be positive', 'amount')
    if len(currency) != 3:
        return error(400, 'Invalid currency', 'currency')
    if not destination.startswith('acct_') or destination.startswith('acct_invalid'):
        return error(400, 'No such destination: %s' % destination,
                     'destination')
    tid = 'tr_' + hashlib.sha256(
        ('%s%d' % (destination, len(_transfers))).encode()).hexdigest()[:24]
    metadata = {k[len('metadata['):-1]: v for k, v in form.items()
                if k.startswith('metadata[') and k.endswith(']')}
    transfer = {
        'id': tid, 'object': 'transfer', 'amount': amount,
        'amount_reversed': 0, 'balance_transaction': None,
        'created': int(__import__('time').time()), 'currency': currency,
        'description': form.get('description'), 'destination': destination,
        'destination_payment': None, 'livemode': False,
        'metadata': metadata,
        'reversals': {'object': 'list', 'data': [], 'has_more': False,
                      'url': '/v1/transfers/%s/reversals' % tid},
        'reversed': False, 'source_transaction': None,
        'source_type': 'card', 'transfer_group': form.get('transfer_group'),
    }
    _transfers[tid] = transfer
    return web.json_response(transfer)


async def list_transfers(request):
    data = sorted(_transfers.values(), key=lambda t: t['id'])
    dest = request.query.get('destination')
    if dest:
        data = [t for t in data if t['destination'] == dest]
    return web.json_response({'object': 'list', 'data': data,
                              'has_more': False, 'url': '/v1/transfers'})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, default=8420)
    parser.add_argument('--host', default='127.0.0.1')
    args = parser.parse_args(argv)

    _patch_store()
    _patch_exports()
    _patch_payment_intent_create()
    _patch_payment_intent_confirm()
    _patch_declines()
    _patch_flush()

    # Routes were registered when localstripe.server was imported. The CRUD
    # ones look methods up on the class at call time (so the patches apply);
    # the extra_apis ones captured the function objects: re-point confirm.
    app = server.app
    for resource in app.router.resources():
        info = resource.get_info()
        if info.get('formatter') == '/v1/payment_intents/{id}/confirm':
            for route in resource:
                route._handler = server.api_extra(
                    PaymentIntent._api_confirm, info['formatter'])
    app.router.add_post('/v1/transfers', create_transfer)
    app.router.add_get('/v1/transfers', list_transfers)
    app.middlewares.insert(0, json_errors_middleware)
    app.middlewares.append(idempotency_middleware)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    host, port = sock.getsockname()[:2]

    logger = logging.getLogger('aiohttp.access')
    logger.setLevel(logging.DEBUG)
    logger.addHandler(logging.StreamHandler())

    print('localstripe-wrapper listening on http://%s:%d/' % (host, port),
          flush=True)
    web.run_app(app, sock=sock, access_log=logger, print=None)


if __name__ == '__main__':
    sys.exit(main())
