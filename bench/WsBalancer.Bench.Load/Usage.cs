namespace WsBalancer.Bench.Load;

internal static class Usage
{
    public const string Text = """
        usage: WsBalancer.Bench.Load <scenario> --url ws://127.0.0.1:PORT/ [options]
               WsBalancer.Bench.Load report --results FILE.jsonl --out RESULTS.md [--versions TEXT] [--notes-file FILE] [--mode TEXT]
                                     [--command TEXT] [--commit SHA]

        scenarios (defaults in brackets):
          echo       closed-loop text echo: --connections [64] --size [128] --warmup [2] --duration [10]
                     --payload [x] (x: SIZE bytes of x; json: a JSON object of SIZE bytes, echo checked byte for byte)
          pipelined  K in flight per connection: --connections [64] --inflight [16] --size [128] --warmup [2] --duration [10]
          bulk       binary echo: --connections [8] --inflight [2] --size [65536] --warmup [2] --duration [10]
          idle       hold M sessions: --connections [10000] --parallel [64] --settle [1] --hold [3]
                     --prime [0] (echo N 128-byte messages on every session before holding)
                     --ready-file F (written when all are open) --release-file F (held until it exists, at most --hold s)
          churn      connect + one echo + close: --connections [16 workers] --size [128] --warmup [1] --duration [10]
          failover   numbered streams, one backend killed: --connections [200] --rate [20 msg/s each] --duration [10]
                     --kill-at [0.4 × duration] --kill-url http://127.0.0.1:P/kill --drain [3]

        system calls (instead of timed windows; needs --target-pids and strace; no rate is ever reported):
          echo, pipelined, bulk, churn: --messages N (operations traced: round trips, messages, sessions)
                     --warmup-messages [N/5] (untraced, first) --strace [strace] (its path)
          idle       --trace-seconds S (trace the held sessions for S s) --strace [strace]

        common: --target NAME (label) --target-pids P1,P2 (proxy processes: CPU and RSS, children included)
                --backend-pids P1,P2 --timeout [600] s --out FILE (also append the JSON line there)
                --label NAME (the JSON line's scenario field instead of the scenario run) --round N (adds "round")
        report also reads run.sh's "syscalls" lines (the mode above) and its "script-stats" lines (a balancer's /script/list after a scripted run).
        The URL (and kill URL) must be loopback. Exit code 0 = the scenario ran cleanly, 1 = it ran with errors.
        """;
}
