"""Prices one order line: unit price from the catalog, tax from TAX_RATE."""

import os

from catalog import PRICES


def lambda_handler(event, context):
    tax_rate = float(os.environ["TAX_RATE"])
    unit = PRICES[event["sku"]]
    net = unit * int(event["quantity"])
    return {
        "sku": event["sku"],
        "quantity": event["quantity"],
        "unitPrice": unit,
        "total": round(net * (1 + tax_rate)),
    }
