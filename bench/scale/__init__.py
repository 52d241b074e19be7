"""`python -m bench.scale`: one organization's invoicing across API replicas and worker processes,
against a Rutter stand-in limited to N requests per window (the same limit in every process's budget).

    python -m bench.scale               # 1,500 charges, 100 requests / 10 s, 2 replicas, 2 workers
    python -m bench.scale --charges 300 --replicas 1 --workers 3
    python -m bench.scale --kill-worker-at 0.5 --replace-worker   # a worker SIGKILLed half-way
    python -m bench.scale --interactive 5   # 5 POST /invoices timed while the batch runs
    python -m bench.scale --abandoned 150 --job-latency 8 --replicas 3 --lease 10

Every run starts a fresh database (DATABASE_URL's server, or the embedded one) holding generated
charges of one organization, and the stand-in with that rate limit.

The batch run starts `--replicas` API processes (each with its in-process workers) and `--workers`
`python -m api.worker` processes, creates one batch of the charges through the first replica,
follows it to the end, and reports the share of Rutter calls answered 429, duplicates (charges with
more than one invoice in the stand-in), lost charges (no completed request), and the wall time
against the limit's ideal (every Rutter call the run needed, at exactly the limit). With
`--kill-worker-at`, the first worker process is SIGKILLed once that share of the charges is done
(`--replace-worker` starts another); with `--interactive N`, N POST /invoices for other charges of
the organization go out spaced over the batch's progress, timed against the job time + 2 s.

The abandoned-requests run sends `--abandoned` POST /invoices at once to one more replica and
SIGKILLs it as soon as every request is recorded; the `--replicas` others' recovery sweeps (every
0.2 s) finish them once its leases (`--lease`) run out. It reports the time from the kill until
every request is COMPLETED against INVOICE_LEASE_S + 3 job times, duplicates and lost requests.
"""
