"""`python -m bench.faults`: randomized fault runs against real processes, proving that one charge
never yields two invoices in Rutter and that no invoice created in Rutter is lost.

    python -m bench.faults --runs 200 [--seed N] [--concurrency K] [--json FILE] [--log-dir DIR]

It starts one fresh database (a new database on the server of DATABASE_URL, else on an embedded
PostgreSQL), one Rutter sandbox process (`python -m sandbox`) and one service process
(`uvicorn api.main:app`), which is SIGKILLed and restarted whenever a run asks for it. Every run
invoices a charge of its own (a copy of demo charge 1 with new ids and document number) under
random faults:

* 429, 452 and 500 storms of random length on the create (the long ones exhaust the retry budget:
  502 RUTTER_UNAVAILABLE), sometimes with the first 500 coming after the create was accepted;
* a dropped connection after the create was accepted;
* a failed Rutter job (450: 502 RUTTER_REJECTED, then a new request);
* a job slower than RUTTER_JOB_TIMEOUT_S (202, then the status URL);
* SIGKILL of the service at a random moment, then a restart;
* concurrent duplicate POSTs, client retries with the same Idempotency-Key.

The first runs get one of those scenarios each for sure, so even a short bench covers them all.
Before each SIGKILL the bench notes where the interrupted requests stand (create not yet accepted,
accepted but job id not stored, job running, job ended but not written back) and prints the counts.

Runs go in waves of K (`--concurrency`) driven at the same time. The sandbox's fault queue and its
job latency are global, so a wave's faults hit whichever of its creates comes first, and a kill hits
every run in flight: the checks are global too. Each run is driven to a final state, bounded in
time: POST again after a 502, a 500 or a dropped connection, GET the status URL while PENDING. Once
everything has settled:

* duplicates: charges with more than one invoice in the sandbox (counted by document number), or
  more than one acc_uac_invoice row;
* lost: invoices in the sandbox without their acc_uac_invoice row, and COMPLETED requests whose
  row is missing;
* unsettled: charges without a COMPLETED request at the end;
* unexpected answers: any answer outside the contract for these faults (e.g. a 500).

Prints a table and exits 1 when any of these is not 0 (2 when the bench itself broke).

The service runs with BENCH_SERVICE_SETTINGS: job deadline 0.6 s, 3 attempts within 1.5 s per call,
a lease of INVOICE_LEASE_S = 1.5 s, renewed while its worker lives (so a killed request is taken over
within seconds, by the sweep every 0.25 s or by a client's retry), the sandbox's jobs take 0.05 s
(1 s in a wave with a slow job). 200 runs take about a minute and a half on 2 cores.

The package: `plan` (the scenarios and what each run does), `driver` (the runs against the
processes), `verdict` (the checks and the report), `__main__` (the command). The processes, the
charges and the HTTP calls are devkit's, as in the end-to-end tests.
"""

from __future__ import annotations
