"""Checks that an order has items, each with a SKU and a positive quantity."""


class InvalidOrder(Exception):
    """The order cannot be processed; the state machine fails with this error name."""


def lambda_handler(event, context):
    items = event.get("items") or []
    print(f"validating order {event.get('orderId')} ({len(items)} items)")
    if not items:
        raise InvalidOrder("the order has no items")
    for item in items:
        if not item.get("sku") or int(item.get("quantity", 0)) <= 0:
            raise InvalidOrder(f"bad item: {item}")
    return event
