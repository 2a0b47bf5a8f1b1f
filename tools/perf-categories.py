#!/usr/bin/env python3
"""Splits a `perf record -g` profile of the fsaudit daemon into the parts of its pipeline.

    perf-categories.py perf.data [--detail PART]

Each sample goes to the first part (in the order below) with a frame on its stack that matches; the shares are of all
the daemon's samples. Needs JIT frames resolved: run the daemon with DOTNET_PerfMapEnabled=1 and
DOTNET_EnableWriteXorExecute=0 (docs/benchmarks.md, "Profiling"). --detail PART lists that part's hottest leaf
functions, to see what inside it costs.
"""
import collections
import re
import subprocess
import sys

PARTS = [
    ("receive (recvmmsg, the work drain does)", ["NetlinkRecordReader::Read"]),
    ("record parsing and buffering (reader thread)", ["RecordPump::Run"]),
    ("journal encoding (zstd)", ["EventBatchEncoder", "ZstdSharp"]),
    ("journal write (Akka.Persistence.Sql, linq2db, SQLite)",
     ["Akka.Persistence", "LinqToDB", "sqlite3", "Microsoft.Data.Sqlite", "EventJournalActor", "JournalWriter"]),
    ("subscriber line (classification, JSON)",
     ["JsonLineWriter", "EventJson", "PublishedEventWriter", "EncodedStrings", "::Serialize", "AuditEventView"]),
    ("subscriber socket writes", ["OutboundBuffer", "SubscriberConnection", "System.Net.Sockets", "__send"]),
    ("subscriber hub and filters (other)", ["SubscriberFilterActor", "SubscriberHub"]),
    ("correlation and event building", ["Correlator", "EventBuilder", "FieldReader", "CorrelateStage"]),
    ("journal sink (batching)", ["JournalSink"]),
    ("Akka.Streams / actors (other)", ["Akka."]),
    ("thread pool waits and wake-ups", ["futex", "PortableThreadPool", "sched_yield", "LowLevelLifoSemaphore", "pthread_cond"]),
]
OTHER = "other (GC, timers, runtime)"


def samples(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,tid,ip,sym,dso"],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split("\n\n"):
        frames = [line.strip() for line in block.split("\n") if line.strip()]
        if len(frames) >= 2:
            yield frames[1:]  # frames[0] is the comm/tid header


def part_of(stack):
    for name, keys in PARTS:
        if any(k in frame for frame in stack for k in keys):
            return name
    return OTHER


def leaf_name(frame):
    return re.sub(r"\(.*$", "", re.sub(r"^[0-9a-f]+ ", "", frame))[:140]


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    detail = argv[argv.index("--detail") + 1] if "--detail" in argv else None
    parts, leaves, total = collections.Counter(), collections.Counter(), 0
    for stack in samples(argv[1]):
        total += 1
        part = part_of(stack)
        parts[part] += 1
        if detail and detail.lower() in part.lower():
            leaves[leaf_name(stack[0])] += 1
    if total == 0:
        print("no samples", file=sys.stderr)
        return 1
    for name, n in parts.most_common():
        print(f"{100 * n / total:5.1f} %  {name}")
    print(f"{total} samples")
    if detail:
        print(f"\nhottest leaf functions in parts matching '{detail}':")
        for name, n in leaves.most_common(25):
            print(f"{100 * n / total:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
