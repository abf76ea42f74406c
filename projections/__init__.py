"""Read models fed by the event stream (rm_* tables), their queries, `verify` and the exports."""
