"""Local handlers for samples/order-processing.asl.json.

Run with:
    asl run samples/order-processing.asl.json --input-file samples/order.json --clock virtual \
        --lambda ReserveStock=samples/handlers/orders.py:reserve_stock \
        --lambda ChargeCard=samples/handlers/orders.py:charge_card \
        --lambda ReleaseStock=samples/handlers/orders.py:release_stock
"""

from __future__ import annotations

from typing import Any

_attempts: dict[str, int] = {}


class StockServiceBusy(Exception):
    """The stock service asks us to come back later (retried by the state machine)."""


class CardDeclined(Exception):
    """The card was declined (not retried; caught and compensated)."""


def reserve_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reserve stock; busy on the first call to show Retry with back-off."""
    order_id = event["orderId"]
    _attempts[order_id] = _attempts.get(order_id, 0) + 1
    if _attempts[order_id] == 1:
        raise StockServiceBusy("try again shortly")
    return {"reservationId": f"res-{order_id}", "items": event["items"]}


def charge_card(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Charge the card; amounts over 1000 are declined."""
    if event["amount"] > 1000:
        raise CardDeclined(f"amount {event['amount']} over limit")
    return {"chargeId": f"ch-{event['idempotencyKey']}"}


def release_stock(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Release a reservation (compensation)."""
    return {"released": event["reservationId"]}
