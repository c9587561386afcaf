"""The domain: values, aggregates, events and pipelines. Pure: no I/O, no clock."""
