"""Unit prices, in cents."""

PRICES = {"apple": 120, "pear": 95, "melon": 450}
