"""What every Smart Classroom Lambda needs (deployed as the common layer): the payload models, S3 keys,
storage clients, typed errors, idempotency and the handler preamble."""
