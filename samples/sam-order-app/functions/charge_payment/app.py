"""Charges the order's total to the customer's card (simulated)."""

import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class CardDeclined(Exception):
    """The amount is over the card's limit."""


def lambda_handler(event, context):
    amount = sum(line["total"] for line in event["lines"])
    currency = os.environ["CURRENCY"]
    limit = int(os.environ["CARD_LIMIT"]) * 100
    logger.info("charging %d cents %s for order %s", amount, currency, event["orderId"])
    if amount > limit:
        raise CardDeclined(f"{amount} cents is over the card limit")
    return {
        "status": "CAPTURED",
        "chargeId": f"ch-{event['orderId']}",
        "amount": amount,
        "currency": currency,
        "function": context.function_name,
    }
