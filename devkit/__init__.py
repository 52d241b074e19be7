"""The development kit: what tests, benchmarks and the dev runner share, and the service never ships.

* `devkit.demo`: the demo data's ids (seed/data/demo_charges.json) and the sandbox's credentials;
* `devkit.charges`: charges in the streamOS API shape built from demo charge 1 (copies, generated);
* `devkit.databases`: creating and dropping whole databases on a server;
* `devkit.embedded`: the embedded PostgreSQL server where DATABASE_URL is not configured;
* `devkit.processes`: child processes that die with their parent, free ports, the uvicorn command;
* `devkit.sandbox`: `python -m sandbox` as a process, and its control API;
* `devkit.service`: the service as a process (`uvicorn api.main:app`) and its environment;
* `devkit.client`: calling the service over HTTP, and bounded polling;
* `devkit.proxy`: a TCP proxy that can cut, stall and watch a connection.
"""
