"""Summary of tests/peers/vector_search_vs_fio.sh: medians over the rounds, the goals' verdicts."""
import json
import statistics
import sys

out, rounds, beam = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def phase_of(name):
    return json.load(open(f"{out}/{name}-report.json"))["phases"][0]


def workload(name):
    return phase_of(name)["workload_metrics"]


def fio(name):
    return json.load(open(f"{out}/{name}.json"))["jobs"][0]["read"]


def fio_pair(name):
    """The mean IOPS of the fio runs before and after an aistor run."""
    return (fio(f"{name}-a")["iops"] + fio(f"{name}-b")["iops"]) / 2


rows = []
for r in range(1, rounds + 1):
    qd1, high = workload(f"aistor-qd1-{r}"), workload(f"aistor-high-{r}")
    hop_s = beam / fio_pair(f"fio-hop-{r}")  # W reads submitted together, all awaited
    fio_iops = fio_pair(f"fio-high-{r}")
    rows.append({
        "recall": qd1["recall"]["at_k"],
        "qd1_ms": qd1["latency"]["mean"] / 1e6,
        "hops": qd1["hops"]["mean"],
        "reads_per_hop": qd1["reads_per_query"] / qd1["hops"]["mean"],
        "fio_hop_us": hop_s * 1e6,
        "predicted_ms": qd1["hops"]["mean"] * hop_s * 1e3,
        "io_share": qd1["io_wait_share"],
        "high_iops": high["device"]["iops"],
        "high_qd": high["device"]["mean_queue_depth"],
        "high_submitted": phase_of(f"aistor-high-{r}")["achieved_queue_depth"],
        "high_qps": high["qps"],
        "high_p99_ms": high["latency"]["p99"] / 1e6,
        "fio_iops": fio_iops,
        "asked_mib": high["memory"]["asked_bytes"] / 2**20,
        "rss_mib": high["memory"]["rss_bytes"] / 2**20,
        "fio_depth": json.load(open(f"{out}/fio-high-{r}-a.json"))["global options"]["iodepth"],
    })


def med(key):
    return statistics.median(row[key] for row in rows)


latency_ratio = statistics.median(row["qd1_ms"] / row["predicted_ms"] for row in rows)
iops_ratio = statistics.median(row["high_iops"] / row["fio_iops"] for row in rows)
print("# vector search against fio on the same index file\n")
print(f"aistor's vector-search (io_uring, O_DIRECT, search_list 64, beam {beam}) and fio (io_uring,")
print(f"O_DIRECT, 4 KiB random reads of the same graph.index): each aistor run between two fio runs")
print(f"and set against their mean, {rounds} rounds; medians of the ratios. fio's depth a job is")
print("the reads a calibration run of aistor kept submitted to the kernel (the phase's")
print("achieved_queue_depth), over its threads; \"in flight\" is the workload's own count, from a")
print("hop's planning to each read's ranking (aistor's queueing included).\n")
print("| round | recall@10 | qd1 mean ms | hops | reads/hop | fio hop us | hops x fio hop ms | "
      "I/O share | high IOPS | submitted / in flight | QPS | p99 ms | fio IOPS (depth/job) |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for n, row in enumerate(rows, 1):
    print(f"| {n} | {row['recall']:.3f} | {row['qd1_ms']:.3f} | {row['hops']:.1f} | "
          f"{row['reads_per_hop']:.2f} | {row['fio_hop_us']:.1f} | {row['predicted_ms']:.3f} | "
          f"{row['io_share'] * 100:.0f}% | {row['high_iops']:.0f} | {row['high_submitted']:.1f} / {row['high_qd']:.1f} | "
          f"{row['high_qps']:.0f} | {row['high_p99_ms']:.2f} | {row['fio_iops']:.0f} "
          f"({row['fio_depth']}) | {row['high_iops'] / row['fio_iops']:.2f} |")
print()
print("| goal | figure | verdict |")
print("|---|---|---|")
print(f"| recall@10 >= 0.9 at the shipped L (64) | {med('recall'):.3f} | "
      f"{'PASS' if med('recall') >= 0.9 else 'MISS'} |")
print(f"| device IOPS at high concurrency >= 0.85 x fio at the same reads in flight | "
      f"{iops_ratio:.3f} x | {'PASS' if iops_ratio >= 0.85 else 'MISS'} |")
print(f"| memory: the in-memory part and buffers only | asked {med('asked_mib'):.1f} MiB "
      f"(PQ codes, codebooks, buffers, query pool), resident {med('rss_mib'):.1f} MiB (the whole "
      f"process: binary, libraries, recorder) | - |")
print(f"| concurrency 1: mean latency <= 1.15 x hops x fio's hop | {latency_ratio:.2f} x | "
      f"{'PASS' if latency_ratio <= 1.15 else 'MISS'} |")
