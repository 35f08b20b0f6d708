package dev.foreshadow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The peer program of the windowed-aggregation benchmark (issue #9): per-key tumbling 60 s windows
 * by event time (the JSON field "ts"), count and mean of the JSON field "value", every update
 * written to the output topic as {"key","start","count","mean"} — the same shape the Quix Streams
 * and Foreshadow programs write, so one checker judges all three.
 *
 * Args: bootstrap inputTopic outputTopic applicationId guarantee(eos|alos) commitIntervalMs stateDir
 * Prints "STARTING <epoch ms>" just before KafkaStreams.start(), as the other programs do, so the
 * suite's clock excludes JVM start-up but includes group join and processing; exits 1 on ERROR.
 */
public final class WindowedMeanBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A parsed input value; parsing once in the serde lets the timestamp extractor reuse it. */
  record Sample(String host, long ts, double value) {}

  /** Running count and sum; 16 bytes in the store. */
  record Agg(long count, double sum) {}

  static final class SampleSerde implements Serde<Sample> {
    @Override
    public Serializer<Sample> serializer() {
      return (topic, s) -> {
        ObjectNode n = JSON.createObjectNode();
        n.put("host", s.host()).put("ts", s.ts()).put("value", s.value());
        return n.toString().getBytes(StandardCharsets.UTF_8);
      };
    }

    @Override
    public Deserializer<Sample> deserializer() {
      return (topic, data) -> {
        try {
          JsonNode n = JSON.readTree(data);
          return new Sample(n.path("host").asText(), n.path("ts").asLong(), n.path("value").asDouble());
        } catch (java.io.IOException e) {
          throw new org.apache.kafka.common.errors.SerializationException("bad sample JSON", e);
        }
      };
    }
  }

  static final class AggSerde implements Serde<Agg> {
    @Override
    public Serializer<Agg> serializer() {
      return (topic, a) -> ByteBuffer.allocate(16).putLong(a.count()).putDouble(a.sum()).array();
    }

    @Override
    public Deserializer<Agg> deserializer() {
      return (topic, data) -> {
        ByteBuffer b = ByteBuffer.wrap(data);
        return new Agg(b.getLong(), b.getDouble());
      };
    }
  }

  /** Event time from the already deserialised value, as the Foreshadow and Quix programs do. */
  public static final class SampleTime implements TimestampExtractor {
    // Public with a public constructor: Kafka Streams instantiates it reflectively from the config.
    public SampleTime() {}

    @Override
    public long extract(org.apache.kafka.clients.consumer.ConsumerRecord<Object, Object> record, long partitionTime) {
      return record.value() instanceof Sample s ? s.ts() : record.timestamp();
    }
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length != 7) {
      System.err.println("usage: bootstrap input output applicationId eos|alos commitIntervalMs stateDir");
      System.exit(2);
    }
    String bootstrap = args[0], input = args[1], output = args[2], appId = args[3], guarantee = args[4];
    long commitMs = Long.parseLong(args[5]);
    String stateDir = args[6];

    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
        "eos".equals(guarantee) ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
    // One thread: every peer runs single-threaded per process so the ratio compares engines, not cores.
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, SampleTime.class);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // Changelog and output replicas: the local stack has a single broker.
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    // Every window update goes out, as the other engines emit them: the default 10 MB record cache
    // folds a key-window's updates between commits (1M inputs gave 159k outputs), which is a
    // different, lighter job than the other engines do.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);

    StreamsBuilder b = new StreamsBuilder();
    Serde<String> str = Serdes.String();
    b.stream(input, Consumed.with(str, new SampleSerde()))
        .groupByKey(Grouped.with(str, new SampleSerde()))
        .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofSeconds(60)))
        .aggregate(
            () -> new Agg(0, 0),
            (key, s, agg) -> new Agg(agg.count() + 1, agg.sum() + s.value()),
            Materialized.<String, Agg, WindowStore<Bytes, byte[]>>as("window-mean")
                .withKeySerde(str)
                .withValueSerde(new AggSerde()))
        .toStream()
        .map((wk, agg) -> {
          ObjectNode n = JSON.createObjectNode();
          n.put("key", wk.key()).put("start", wk.window().start()).put("count", agg.count())
              .put("mean", agg.sum() / agg.count());
          return KeyValue.pair(wk.key() + "@" + wk.window().start(), n.toString());
        })
        .to(output, Produced.with(str, str));

    KafkaStreams streams = new KafkaStreams(b.build(), p);
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(Duration.ofSeconds(10));
      done.countDown();
    }));
    System.out.println("STARTING " + System.currentTimeMillis());
    System.out.flush();
    streams.start();
    done.await();
    if (streams.state() == KafkaStreams.State.ERROR) System.exit(1);
  }
}
