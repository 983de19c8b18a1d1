"""AWS Lambda entry points of the serverless deployment (``template.yaml``; DESIGN.md).

* :mod:`handlers.api` — the Step Functions API (JSON 1.0 protocol) behind a function URL.
* :mod:`handlers.worker` — the work queue's consumer: decisions and task invocations.
* :mod:`handlers.sweep` — every minute, re-sends the decisions whose wake-up time has passed.

They share one deployment (:mod:`handlers.deployment`): the DynamoDB store and the SQS queue
named by the functions' environment.
"""
