# workerd serving the benchmark's fetch handler (bench/functions/bench-fetch), bundled by
# bench/anchors/workerd-anchor.ts as worker.js next to a copy of this file. The listening
# address is given on the command line (--socket-addr http=127.0.0.1:PORT).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .benchWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8080", http = (), service = "main")],
);

const benchWorker :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "worker.js")],
  compatibilityDate = "2025-01-01",
);
