"""The command line the Python sides of the benchmarks share (bench/workloads_numpy.py, bench/workloads_torch.py):
`--once ID` runs one workload once (bench/workloads.js times that whole process from the outside); otherwise each named
workload (default: all) runs `--runs N` times (default 3) and the medians in ms are printed as JSON."""
import json
import statistics
import sys
import time


def main(workloads, argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ['--once']:
        workloads[args[1]]()
        return
    runs = 3
    if '--runs' in args:
        runs = int(args[args.index('--runs') + 1])
        del args[args.index('--runs'):args.index('--runs') + 2]
    result = {}
    for name in args or list(workloads):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            workloads[name]()
            times.append((time.perf_counter() - t) * 1000)
        result[name] = statistics.median(times)
    print(json.dumps(result))
