"""Quix Streams peer of the windowed-aggregation benchmark (issue #9).

Per-key tumbling 60 s windows by event time (the JSON field "ts"), count and mean of the JSON
field "value", every window update written to the output topic as {"key","start","count","mean"}:
the same shape the Kafka Streams and Foreshadow programs write, so one checker judges all three.

Usage: windowed_mean.py bootstrap input output consumer_group eos|alos commit_interval_ms state_dir
"""

import sys
import time

from quixstreams import Application
from quixstreams.dataframe.windows import Count, Mean


def event_time(value, _headers, _timestamp, _timestamp_type) -> int:
    # Event time from the payload, as the other engines do, not the Kafka record timestamp.
    return int(value["ts"])


def main() -> None:
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    bootstrap, input_topic, output_topic, group, guarantee, commit_ms, state_dir = sys.argv[1:]
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once" if guarantee == "eos" else "at-least-once",
        # The same commit interval as every other engine in the comparison (Quix's default is 5 s).
        commit_interval=int(commit_ms) / 1000.0,
        state_dir=state_dir,
        loglevel="WARNING",
    )
    source = app.topic(
        input_topic,
        key_deserializer="str",
        value_deserializer="json",
        timestamp_extractor=event_time,
    )
    sink = app.topic(output_topic, key_serializer="str", value_serializer="json")

    sdf = app.dataframe(source)
    sdf = (
        sdf.tumbling_window(duration_ms=60_000, grace_ms=0, name="window-mean")
        .agg(count=Count(), mean=Mean("value"))
        .current()
    )
    sdf = sdf.apply(
        lambda w, key, _ts, _headers: {
            "key": key,
            "start": w["start"],
            "count": w["count"],
            "mean": w["mean"],
        },
        metadata=True,
    )
    sdf.to_topic(sink, key=lambda v: f"{v['key']}@{v['start']}")
    print(f"STARTING {int(time.time() * 1000)}", flush=True)
    app.run()


if __name__ == "__main__":
    main()
