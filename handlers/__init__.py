"""AWS Lambda entry points for the serverless durable runtime (see ../shared/DESIGN.md).

They land with the serverless runtime; until then this package only reserves its place.
"""
