"""The serverless deployment of ``template.yaml``, run locally as the Lambda service runs it.

``asl serve --serverless`` (:class:`~interpreter.cloud.supervisor.LocalCloud`) starts:

* DynamoDB and SQS — moto's server in this process, or the endpoint ``--endpoint-url`` names —
  with the table and queues created as ``template.yaml`` declares them (:mod:`.settings`);
* the API function — ``handlers.api.handler`` — behind an HTTP endpoint that turns each request
  into a function-URL event (:mod:`.functions`), in its own process;
* N worker processes, each an SQS event-source mapping as Lambda runs one: batches of the
  template's size, the queue's visibility timeout, partial batch responses (only the successes
  are deleted), redelivery, the dead-letter queue after the queue's receive count; the handler
  gets a Lambda context whose remaining time counts down;
* the sweep — ``handlers.sweep.handler`` — on its schedule.

A process that dies is started again. The handlers are the very functions ``template.yaml``
names; only the Lambda service around them is emulated.
"""
